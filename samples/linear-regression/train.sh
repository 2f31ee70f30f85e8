#!/bin/sh
# Fits y = w*x + b by gradient descent; writes the model, metrics.json and a per-epoch loss history.
set -eu
lr=$(awk '/^train:/{t=1} t&&/lr:/{print $2; exit}' params.yaml)
epochs=$(awk '/^train:/{t=1} t&&/epochs:/{print $2; exit}' params.yaml)
mkdir -p model
awk -F, -v lr="$lr" -v epochs="$epochs" '
  { x[NR] = $1; y[NR] = $2 }
  END {
    w = 0; b = 0; n = NR
    print "step\tloss" > "loss.tsv"
    for (e = 1; e <= epochs; e++) {
      gw = 0; gb = 0; loss = 0
      for (i = 1; i <= n; i++) { err = w * x[i] + b - y[i]; gw += 2 * err * x[i] / n; gb += 2 * err / n; loss += err * err / n }
      w -= lr * gw; b -= lr * gb
      printf "%d\t%.6f\n", e, loss >> "loss.tsv"
      if (e % 10 == 0) printf "epoch %d loss %.4f\n", e, loss
    }
    printf "w=%.6f\nb=%.6f\n", w, b > "model/model.txt"
    printf "{\"loss\": %.6f, \"w_error\": %.6f, \"b_error\": %.6f}\n", loss, (w > 3 ? w - 3 : 3 - w), (b > 2 ? b - 2 : 2 - b) > "metrics.json"
  }' data/points.csv
