"""The seven client models reproduce every measured case of proxy-vectors.json."""

import json
from pathlib import Path

import pytest

from netcheck.proxy.models import MODELS, Target

VECTORS = json.loads((Path(__file__).parent / "proxy-vectors.json").read_text())["vectors"]
CASES = [(v, model) for v in VECTORS for model in v["expected"]]


def test_file_covers_every_model():
    assert len(VECTORS) == 24
    for vector in VECTORS:
        assert set(vector["expected"]) == set(MODELS)


@pytest.mark.parametrize(("vector", "model"), CASES,
                         ids=[f"{v['id']}-{m}" for v, m in CASES])
def test_vector(vector, model):
    decision = MODELS[model](vector["env"], Target.parse(vector["url"]))
    assert decision.as_vector() == vector["expected"][model], decision.reason
