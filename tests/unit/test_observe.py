"""The engine timing wrapper shared by the metrics and the speed benchmark (pipeline/observe.py)."""

from __future__ import annotations

from pipeline.observe import TimedEngine


class _Engine:
    name = "tesserocr"

    def read(self, image, **kw):
        return ("read", image, kw)

    def osd(self, image):
        return (0, 9.0)

    lang = "ind"


def test_reads_and_orientation_are_timed_under_the_key_by_the_clock_given() -> None:
    ticks = iter(range(0, 100, 5))  # each call of the clock moves 5 units on
    spent: dict[str, float] = {}
    timed = TimedEngine(_Engine(), spent, key="tesseract", clock=lambda: next(ticks))
    assert timed.read("img", psm=7) == ("read", "img", {"psm": 7})
    assert timed.osd("img") == (0, 9.0)
    assert spent == {"tesseract": 10}  # two timed calls of 5 units each, under the key, not the engine's name
    assert timed.lang == "ind" and timed.name == "tesserocr"  # everything else is the engine's


def test_without_a_key_the_engine_name_is_the_key() -> None:
    spent: dict[str, float] = {}
    TimedEngine(_Engine(), spent).read("img")
    assert set(spent) == {"tesserocr"} and spent["tesserocr"] >= 0.0
