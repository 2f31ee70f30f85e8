import os, pathlib, time
def checkpoint(step):
    signal = os.environ["EXP_CHECKPOINT_FILE"]
    pathlib.Path(signal + ".tmp").write_text(str(step)); os.replace(signal + ".tmp", signal)
    while os.path.exists(signal): time.sleep(0.05)
