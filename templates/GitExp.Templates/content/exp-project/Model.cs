using System.Text.Json;

/// <summary>A labelled point: two features and a class, 0 or 1.</summary>
public sealed record Example(double X1, double X2, int Label);

/// <summary>Two overlapping clouds of points, around (0, 0) and (2, 1), split 80/20 into train and test.</summary>
public sealed record Dataset(IReadOnlyList<Example> Train, IReadOnlyList<Example> Test)
{
    public static Dataset Generate(int points, double noise, int seed)
    {
        var random = new Random(seed);
        var examples = new List<Example>(points);
        for (var i = 0; i < points; i++)
        {
            var label = i % 2;
            // Off the origin, so the model has to learn its bias as well as its weights.
            var (x1, x2) = label == 1 ? (2.0, 1.0) : (0.0, 0.0);
            examples.Add(new Example(x1 + noise * Gaussian(random), x2 + noise * Gaussian(random), label));
        }

        var shuffled = examples.OrderBy(_ => random.Next()).ToList();
        var trainCount = points * 8 / 10;
        return new Dataset(shuffled[..trainCount], shuffled[trainCount..]);
    }

    // Box-Muller: a standard normal sample from two uniform ones.
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>p(label = 1) = sigmoid(w1 x1 + w2 x2 + b), trained by full-batch gradient descent.</summary>
public sealed class Model
{
    public double W1 { get; set; }
    public double W2 { get; set; }
    public double Bias { get; set; }

    public static Model Load(string path) =>
        JsonSerializer.Deserialize<Model>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: no model");

    public void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }) + "\n");

    public double Predict(Example e) => 1 / (1 + Math.Exp(-(W1 * e.X1 + W2 * e.X2 + Bias)));

    /// <summary>One step down the gradient of the mean log loss over <paramref name="examples"/>.</summary>
    public void TrainEpoch(IReadOnlyList<Example> examples, double learningRate)
    {
        double g1 = 0,
            g2 = 0,
            gb = 0;
        foreach (var e in examples)
        {
            var error = Predict(e) - e.Label;
            g1 += error * e.X1;
            g2 += error * e.X2;
            gb += error;
        }

        W1 -= learningRate * g1 / examples.Count;
        W2 -= learningRate * g2 / examples.Count;
        Bias -= learningRate * gb / examples.Count;
    }

    /// <summary>Mean log loss (cross-entropy); lower is better.</summary>
    public double Loss(IReadOnlyList<Example> examples) =>
        examples.Average(e =>
        {
            var p = Math.Clamp(Predict(e), 1e-12, 1 - 1e-12);
            return -(e.Label * Math.Log(p) + (1 - e.Label) * Math.Log(1 - p));
        });

    /// <summary>The share of examples whose class is predicted right.</summary>
    public double Accuracy(IReadOnlyList<Example> examples) =>
        examples.Count(e => (Predict(e) >= 0.5 ? 1 : 0) == e.Label) / (double)examples.Count;
}
