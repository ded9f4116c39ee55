import gc

from candlecast.shared.adapters.heap import freeze_startup


def test_objects_alive_at_start_up_leave_the_collectors_generations() -> None:
    kept = [[i] for i in range(200_000)]  # start-up state: many tracked containers
    gc.unfreeze()
    try:
        assert len(gc.get_objects()) > len(kept)
        frozen = freeze_startup()
        walked_by_a_full_collection = len(gc.get_objects())
    finally:
        gc.unfreeze()
    assert frozen > len(kept)
    assert walked_by_a_full_collection < len(kept) // 100
