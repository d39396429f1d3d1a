import asyncio

from hub.events.bus import QUEUE_SIZE, EventBus, bus_for


def test_every_subscriber_gets_each_event_in_order():
    async def run():
        bus = EventBus()
        a, b = bus.subscribe(), bus.subscribe()
        bus.publish("scan", {"code": "1"})
        bus.publish("scan", {"code": "2"})
        got_a = [(await a.next()).data["code"] for _ in range(2)]
        got_b = [(await b.next()).data["code"] for _ in range(2)]
        return got_a, got_b

    assert asyncio.run(run()) == (["1", "2"], ["1", "2"])


def test_a_slow_subscriber_loses_its_oldest_events_and_counts_them():
    async def run():
        bus = EventBus()
        slow = bus.subscribe()
        for i in range(QUEUE_SIZE + 5):
            bus.publish("scan", {"i": i})
        first = await slow.next()
        return first.data["i"], slow.dropped

    assert asyncio.run(run()) == (5, 5)


def test_an_unsubscribed_reader_gets_nothing_more():
    bus = EventBus()
    sub = bus.subscribe()
    bus.unsubscribe(sub)
    bus.publish("scan", {})
    assert sub.queue.empty() and bus.subscribers == 0


def test_the_app_state_holds_one_bus():
    class State:
        pass

    state = State()
    assert bus_for(state) is bus_for(state)
