-- Whether a variant of a claim group tells the claim or denies it ("The port authority denied a
-- news agency report that thousands of containers ... were about to be shipped"). A denial is
-- kept in the group, since it is about the same claim, but it does not count as telling it:
-- claim_groups.articles counts the articles that tell it, denied_by those that only deny it.
ALTER TABLE claim_variants ADD COLUMN stance TEXT NOT NULL DEFAULT 'tells';  -- tells | denies
ALTER TABLE claim_groups ADD COLUMN denied_by INTEGER NOT NULL DEFAULT 0;
