"""Contain the parameters for the DVC pipeline."""

TEST_RATIO = 0.4
SEED = 5
MAX_TRAINING_ITERATIONS = 500


class TrainModelParams:
    """Contain the parameters for the train model step."""

    HIDDEN_LAYER_SIZE = 100
    N_HIDDEN_LAYERS = 3
