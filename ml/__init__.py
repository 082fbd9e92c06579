"""Machine-learning side of Prêt à dépenser: credit risk (``ml.credit``), product-photo
classification (``ml.vision``) and the light loaders the web process uses (``ml.serving``)."""
