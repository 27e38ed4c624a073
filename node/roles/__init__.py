"""The long-running roles of a node: worker, verifier, aggregator (`gradchain node run --role ...`)."""
