"""The category tree's pure rules: cycles, order, depth and path, nesting."""

from hub.catalogue.categories.tree import creates_cycle, descendants, flatten, nest


def cat(cid, name, parent=None, sort_order=0, active=True):
    return {"id": cid, "name": name, "parent_id": parent, "sort_order": sort_order, "active": active}


ROWS = [
    cat("bak", "Bakery", "food"),
    cat("food", "Food"),
    cat("bread", "bread", "bak"),
    cat("bev", "Beverages", sort_order=-1),
    cat("buns", "Buns", "bak"),
    cat("dairy", "Dairy", "food"),
]
PARENTS = {r["id"]: r["parent_id"] for r in ROWS}


def test_a_category_cannot_go_under_itself_or_anything_below_it():
    assert creates_cycle(PARENTS, "food", "food")
    assert creates_cycle(PARENTS, "food", "bak")
    assert creates_cycle(PARENTS, "food", "bread")  # two levels down
    assert creates_cycle(PARENTS, "bak", "buns")


def test_moves_that_keep_a_tree_are_not_cycles():
    assert not creates_cycle(PARENTS, "bak", None)
    assert not creates_cycle(PARENTS, "bak", "bev")
    assert not creates_cycle(PARENTS, "bread", "dairy")
    assert not creates_cycle(PARENTS, "dairy", "bak")  # a sibling's child


def test_a_cycle_already_in_the_data_does_not_hang_the_check():
    looped = {"x": "y", "y": "x", "z": None}
    assert not creates_cycle(looped, "z", "x")


def test_descendants_are_every_level_below():
    assert descendants(PARENTS, "food") == {"bak", "bread", "buns", "dairy"}
    assert descendants(PARENTS, "bread") == set()


def test_flat_list_reads_top_down_with_siblings_by_sort_order_then_name_without_case():
    flat = flatten(ROWS)
    assert [r["id"] for r in flat] == ["bev", "food", "bak", "bread", "buns", "dairy"]
    assert [r["depth"] for r in flat] == [0, 0, 1, 2, 2, 1]
    assert flat[3]["path"] == ["Food", "Bakery", "bread"]


def test_rows_caught_in_a_stored_cycle_are_left_out_instead_of_looping():
    rows = [cat("x", "X", "y"), cat("y", "Y", "x"), cat("z", "Z")]
    assert [r["id"] for r in flatten(rows)] == ["z"]


def test_nest_rebuilds_the_tree_and_a_subset_without_its_parent_shows_as_a_root():
    tree = nest(flatten(ROWS))
    assert [n["id"] for n in tree] == ["bev", "food"]
    assert [c["id"] for c in tree[1]["children"]] == ["bak", "dairy"]
    assert [c["id"] for c in tree[1]["children"][0]["children"]] == ["bread", "buns"]
    orphans = nest([r for r in flatten(ROWS) if r["id"] != "food"])
    assert [n["id"] for n in orphans] == ["bev", "bak", "dairy"]
