"""Export (installed as ``edgecnn.export``): Keras → ONNX with tf2onnx, int8 with onnxruntime. Needs the ``train`` extra."""
