"""State-changing operations, kept out of the views so every entry point shares them."""
