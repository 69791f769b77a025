"""Entity resolution: party records, pairwise scores, clusters and analyst judgements."""
