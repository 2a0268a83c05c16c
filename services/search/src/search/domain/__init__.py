"""Pure rules of search: how numbers, phones and documents are written for the index. No I/O."""
