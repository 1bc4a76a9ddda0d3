"""scikit-learn estimators for the lecture models, trained through tinygrad_sm's engine."""

from .convnet import ConvNetClassifier
from .perceptron import MulticlassPerceptron
from .softmax_regression import SoftmaxRegression
from .two_layer import TwoLayerNet, TwoLayerRegressor

__all__ = ["SoftmaxRegression", "MulticlassPerceptron", "TwoLayerNet", "TwoLayerRegressor", "ConvNetClassifier"]
