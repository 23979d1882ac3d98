-- The web UI's outlet pages and outlet list filter live articles by outlet and sort by time.
CREATE INDEX articles_outlet_status_published ON articles(outlet, status, published_at);
