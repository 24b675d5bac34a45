"""get_params / set_params / repr of the mapping estimators, without scikit-learn's base."""

import pytest
from sklearn.base import clone

from livemappr.mapping.clusters import StableKMeans
from livemappr.mapping.embedding import IncrementalTSNE


@pytest.mark.parametrize("cls", [IncrementalTSNE, StableKMeans])
def test_params_round_trip_and_clone(cls):
    est = cls(random_state=3)
    params = est.get_params()
    assert params["random_state"] == 3
    assert cls(**params).get_params() == params
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    assert est.set_params(random_state=4) is est and est.random_state == 4


def test_set_params_names_an_unknown_parameter_and_sets_nothing():
    est = StableKMeans()
    with pytest.raises(ValueError, match="StableKMeans has no parameter 'n_cluster'; its parameters are "
                                         "n_clusters, split_threshold"):
        est.set_params(hysteresis=0.1, n_cluster=4)
    assert est.hysteresis == 0.3


def test_repr_shows_what_differs_from_the_defaults():
    assert repr(StableKMeans()) == "StableKMeans()"
    assert repr(StableKMeans(26, random_state=0)) == "StableKMeans(n_clusters=26, random_state=0)"
    assert repr(IncrementalTSNE(perplexity=12.0, neighbors="exact")) == \
        "IncrementalTSNE(perplexity=12.0, neighbors='exact')"
