// Trains a logistic regression on points it generates itself, one epoch of gradient descent at a
// time. `dotnet exp run` runs it (see exp.yaml); params.yaml holds what an experiment can vary.
using GitExp.Client;

const string ModelFile = "model.json";

var parameters = ExpParams.Load();
var data = Dataset.Generate(parameters.GetInt("data.points"), parameters.GetDouble("data.noise"), parameters.GetInt("data.seed"));
var learningRate = parameters.GetDouble("train.lr");
var epochs = parameters.GetInt("train.epochs");

// Metrics go to live/metrics.json (latest values) and live/plots/metrics/*.tsv (one row per epoch).
using var live = new Live();
var model = new Model();
#if (Checkpoints)
if (Checkpoint.Resumed && File.Exists(ModelFile))
{
    // dotnet exp restored the checkpoint's model.json; live.Step is the epoch it was taken at.
    model = Model.Load(ModelFile);
    Console.WriteLine($"resuming after epoch {live.Step}");
}
#endif

for (var epoch = live.Step; epoch < epochs; epoch++)
{
    model.TrainEpoch(data.Train, learningRate);
    var loss = model.Loss(data.Train);
    var accuracy = model.Accuracy(data.Test);
    model.Save(ModelFile);

    live.Log("loss", loss);
    live.Log("accuracy", accuracy);
    Console.WriteLine($"epoch {epoch + 1}/{epochs}: loss {loss:F4}, test accuracy {accuracy:P1}");
#if (Checkpoints)
    live.NextStep(); // writes the metrics, then records a checkpoint (a commit of the experiment)
#else
    live.NextStep(checkpoint: false); // writes the metrics
#endif
}
