"""`monolathe api`: the HTTP API and the review page over the Temporal client and the ledger."""
