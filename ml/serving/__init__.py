"""Light serving side: loaders that the web process imports (no Keras, no training code)."""
