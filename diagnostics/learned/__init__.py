"""The learned models at scoring time: the model's input row and the detector that scores a
registry bundle. Training them is `diagnostics.lab`."""
