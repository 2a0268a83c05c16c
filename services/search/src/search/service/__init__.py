"""Use cases of the search service: keeping the index, answering searches, warming up."""
