"""subgenre.train / evaluate / experiment from Python on the bundled demo set."""

import json

import pytest

import subgenre
from conftest import demo_clips


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """compact on the demo set, 2 epochs at 64x64, with every progress event kept."""
    out = tmp_path_factory.mktemp("train")
    cache = tmp_path_factory.mktemp("cache")
    events = []
    report = subgenre.train(
        out=out, size=64, epochs=2, jobs=2, cache=cache, progress=events.append
    )
    return out, cache, report, events


def test_train_returns_the_report_it_wrote(trained):
    out, _, report, _ = trained
    assert report == json.loads((out / "report.json").read_text())
    (run,) = report["runs"]
    assert run["model"] == "compact"
    assert run["size"] == 64
    assert run["epochs_run"] == 2
    assert 0.0 <= run["weighted_f1"] <= 1.0


def test_the_model_it_wrote_predicts(trained):
    out, _, _, _ = trained
    model = out / "runs" / "compact_normal64_seed42" / "model.sgcnn"
    predictor = subgenre.Predictor([model])
    assert predictor.classes == ["bouncy", "tekno", "warzone", "industrial", "non-techno-drop"]
    track = predictor.predict_file(demo_clips()[0], tempo=False)
    assert track["label"] in predictor.classes
    assert abs(sum(track["mean_probs"].values()) - 1.0) < 1e-4


def test_progress_sees_each_epoch_and_the_run(trained):
    _, _, _, events = trained
    kinds = [e["event"] for e in events]
    assert kinds.count("epoch") == 2
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2]
    assert kinds.count("run_started") == 1 and kinds.count("run_finished") == 1
    assert kinds.index("run_started") < kinds.index("epoch") < kinds.index("run_finished")


def test_a_rerun_reuses_the_finished_run(trained):
    out, cache, report, _ = trained
    events = []
    again = subgenre.train(out=out, size=64, epochs=2, cache=cache, progress=events.append)
    assert [e["event"] for e in events].count("epoch") == 0
    assert any(e["event"] == "run_reused" for e in events)
    assert again["runs"][0]["weighted_f1"] == report["runs"][0]["weighted_f1"]


def test_evaluate_scores_the_model_on_its_test_part(trained, tmp_path):
    out, cache, report, _ = trained
    model = out / "runs" / "compact_normal64_seed42" / "model.sgcnn"
    scored = subgenre.evaluate(model, cache=cache, out=tmp_path)
    assert scored["features"].startswith("the test part")
    # The same model on the same part: train's score.
    assert scored["runs"][0]["weighted_f1"] == pytest.approx(report["runs"][0]["weighted_f1"])
    assert (tmp_path / "report.json").is_file() and (tmp_path / "confusion.png").is_file()
    every = subgenre.evaluate([model], cache=cache, all=True)
    assert every["features"].startswith("all ")
    assert "neighbours" not in every
    near = subgenre.evaluate(model, cache=cache, all=True, neighbours=2)
    assert near["neighbours"]["k"] == 2
    # The demo set's 30 clips come from 30 tracks: each has 29 candidates, 5 of its label.
    assert near["neighbours"]["queries"] == 30
    assert near["neighbours"]["chance"] == pytest.approx(5 / 29)
    assert 0.0 <= near["neighbours"]["same_label"] <= 1.0


def test_bad_settings_raise_value_error_naming_them(tmp_path):
    with pytest.raises(ValueError, match="epochs"):
        subgenre.train(out=tmp_path, epochs=0)
    with pytest.raises(ValueError, match="size"):
        subgenre.train(out=tmp_path, size=8)
    with pytest.raises(ValueError, match="arch"):
        subgenre.train(out=tmp_path, arch="resnet")
    with pytest.raises(ValueError, match="arch"):
        subgenre.train(out=tmp_path, arch=["compact", "cnn_main"])
    with pytest.raises(ValueError, match="augment"):
        subgenre.experiment(out=tmp_path, augment="noise")
    with pytest.raises(ValueError, match="grid"):
        subgenre.reproduce(out=tmp_path, grid="huge")
    with pytest.raises(ValueError, match="images"):
        subgenre.transfer(tmp_path / "none.sgcnn", out=tmp_path)


def test_a_missing_base_model_is_an_error_naming_it(tmp_path):
    base = tmp_path / "missing.sgcnn"
    with pytest.raises(subgenre.Error, match="missing.sgcnn"):
        subgenre.transfer(base, images=tmp_path, out=tmp_path / "out")
