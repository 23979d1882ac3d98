"""Package data: trained model weights (see bench/train_attribution.py)."""
