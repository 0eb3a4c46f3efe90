"""Category and topic suggestion (transformers encoder + heads). Lands with the model issue."""
