#!/bin/sh
# Generates a small regression data set, y = 3x + 2 + noise, from the data.* params.
set -eu
points=$(awk '/^data:/{d=1} d&&/points:/{print $2; exit}' params.yaml)
noise=$(awk '/^data:/{d=1} d&&/noise:/{print $2; exit}' params.yaml)
seed=$(awk '/^data:/{d=1} d&&/seed:/{print $2; exit}' params.yaml)
mkdir -p data
awk -v n="$points" -v noise="$noise" -v seed="$seed" 'BEGIN {
  srand(seed)
  for (i = 0; i < n; i++) { x = rand() * 2 - 1; printf "%.6f,%.6f\n", x, 3 * x + 2 + (rand() - 0.5) * 2 * noise }
}' > data/points.csv
echo "wrote $points points to data/points.csv"
