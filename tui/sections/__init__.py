"""The console's sections, one per tab: each loads from the model and reads back into it."""
