"""Training (installed as ``edgecnn.train``): Keras CNNs on MNIST. Needs the ``train`` extra."""
