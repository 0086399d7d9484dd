"""A fitted tree as plain data (stored with the model's row), for rules and drawing."""

from analytics.ml.training import RiskTree

LEAF = -1


def tree_structure(risk_tree: RiskTree) -> dict:
    """{"features": [...], "nodes": [...]} with every node's split or leaf risk.

    A node: id, feature (name, or "" for a leaf), threshold (go left when value <=
    threshold), left, right (-1 for a leaf), samples (training rows reaching it) and risk (the calibrated risk of a booking
    that ends there, or would have on the way). "lowest" holds each feature's lowest value
    in the training rows (-1: some were unknown).
    """
    tree = risk_tree.tree.tree_
    positive = (
        list(risk_tree.tree.classes_).index(1) if 1 in risk_tree.tree.classes_ else None
    )
    raw = [
        float(value[positive] / value.sum())
        if positive is not None and value.sum()
        else 0.0
        for value in tree.value[:, 0, :]
    ]
    risks = risk_tree.calibrator.predict(raw)
    nodes = []
    for node in range(tree.node_count):
        leaf = tree.children_left[node] == LEAF
        nodes.append(
            {
                "id": node,
                "feature": "" if leaf else risk_tree.names[tree.feature[node]],
                "threshold": None if leaf else round(float(tree.threshold[node]), 4),
                "left": int(tree.children_left[node]),
                "right": int(tree.children_right[node]),
                "samples": int(tree.n_node_samples[node]),
                "risk": round(float(risks[node]), 4),
            }
        )
    return {
        "features": list(risk_tree.names),
        "lowest": risk_tree.lowest,
        "params": risk_tree.params,
        "nodes": nodes,
    }
