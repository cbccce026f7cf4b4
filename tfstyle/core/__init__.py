"""What every method shares: images and files (`image`, `fileio`), VGG19 and its
weights (`vgg`, `weights`, `torchfile`), the paper's loss equations (`losses`),
the optimizers and their progress type (`optim`), colour transforms (`color`),
metrics, TensorBoard logging (`summary`), sample images and the errors."""
