"""The image page: classify a product photo with two models; the comparison study."""
