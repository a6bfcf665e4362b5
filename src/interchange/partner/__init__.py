"""The partner kit: pseudonymiser, key handling, pre-flight check."""
