"""Floor 4: answers in SQL (facets, stored facet parts and keys, box value lists): the reference path and the answer when no index is held. Imports the floors below."""
