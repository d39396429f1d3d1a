"""Stock transfers between the stores of a chain: out and in documents, in transit until received."""
