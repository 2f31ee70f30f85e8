checkpoint() {
  [ -n "$EXP_CHECKPOINT_FILE" ] || return 0
  echo $STEP > "$EXP_CHECKPOINT_FILE.tmp" && mv "$EXP_CHECKPOINT_FILE.tmp" "$EXP_CHECKPOINT_FILE"
  while [ -e "$EXP_CHECKPOINT_FILE" ]; do sleep 0.05; done
}
