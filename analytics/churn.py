"""Customer churn: the chance that a customer does not come back to the workshop within 12 months.

Input: one row per customer with these columns (a customer with no survey has NaN scores):
  recency_days       days since the last workshop visit
  visits_24m         workshop visits in the last 24 months
  spend_24m          service spend in the last 24 months, CNY
  vehicle_age_years  age of the customer's car
  in_warranty        the car is still under the maker's warranty (bool)
  csi_last           last customer-satisfaction score, 0 to 100, or NaN
  nps_last           last net-promoter answer, 0 to 10, or NaN
  open_complaints    complaints not yet closed
  connected          the car streams telemetry to Pitstop (bool)
  open_alerts        open predictive-maintenance alerts on the car
Training also needs the label: churned, true when the customer did not return within 12
months of the snapshot.

Model: logistic regression on standardised features (counts and money on a log scale, missing
surveys as a flag), which is well calibrated by construction of its loss and whose reasons can
be read off exactly. A customer's reasons are the features with the largest positive
contributions coefficient x standardised value: how much each pushes the log-odds above those
of the average training customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

COLUMNS = (
    "recency_days",
    "visits_24m",
    "spend_24m",
    "vehicle_age_years",
    "in_warranty",
    "csi_last",
    "nps_last",
    "open_complaints",
    "connected",
    "open_alerts",
)
NEUTRAL_CSI, NEUTRAL_NPS = 85.0, 8.0  # stand-ins for a missing survey (its flag carries the rest)
MIN_CONTRIBUTION = 0.15  # log-odds (about 4 points of probability near 50 %): smaller is noise

# feature: (en when high, en when low, zh when high, zh when low)
WORDS = {
    "log_recency": (
        "long time since the last visit",
        "visited recently",
        "距上次到店时间长",
        "近期到过店",
    ),
    "log_visits": ("frequent visitor", "few visits in 24 months", "到店频繁", "近两年到店少"),
    "log_spend": ("high service spend", "low service spend", "维修保养消费高", "维修保养消费低"),
    "vehicle_age_years": ("older car", "newer car", "车龄较长", "车龄较短"),
    "in_warranty": ("still under warranty", "out of warranty", "仍在质保期内", "已过质保期"),
    "csi_last": ("satisfied at last survey", "low satisfaction score", "满意度高", "满意度低"),
    "nps_last": ("would recommend us", "would not recommend us", "推荐意愿高", "推荐意愿低"),
    "no_survey": ("never answered a survey", "answers surveys", "未参与回访调查", "参与回访调查"),
    "open_complaints": ("open complaints", "no open complaints", "有未结投诉", "无未结投诉"),
    "connected": ("connected car", "car not connected", "车辆已联网", "车辆未联网"),
    "open_alerts": (
        "open vehicle alerts",
        "no open vehicle alerts",
        "有未处理车辆预警",
        "无车辆预警",
    ),
}
FEATURES = tuple(WORDS)


class Reason(NamedTuple):
    feature: str
    contribution: float  # added log-odds of churn against the average customer
    en: str
    zh: str


@dataclass
class ChurnModel:
    scaler: StandardScaler
    classifier: LogisticRegression


def features(customers: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs from the documented columns (raises on a missing column)."""
    missing = [c for c in COLUMNS if c not in customers.columns]
    if missing:
        raise ValueError(f"customers table lacks columns: {', '.join(missing)}")
    c = customers
    no_survey = c["csi_last"].isna() & c["nps_last"].isna()
    out = pd.DataFrame(
        {
            "log_recency": np.log1p(c["recency_days"].clip(lower=0)),
            "log_visits": np.log1p(c["visits_24m"].clip(lower=0)),
            "log_spend": np.log1p(c["spend_24m"].clip(lower=0)),
            "vehicle_age_years": c["vehicle_age_years"],
            "in_warranty": c["in_warranty"].astype(float),
            "csi_last": c["csi_last"].fillna(NEUTRAL_CSI),
            "nps_last": c["nps_last"].fillna(NEUTRAL_NPS),
            "no_survey": no_survey.astype(float),
            "open_complaints": c["open_complaints"],
            "connected": c["connected"].astype(float),
            "open_alerts": c["open_alerts"],
        },
        index=customers.index,
    )
    return out[list(FEATURES)].astype(float)


def train(customers: pd.DataFrame, churned: pd.Series | np.ndarray | None = None) -> ChurnModel:
    """Fit the model; the label is `churned` or the table's churned column."""
    y = np.asarray(customers["churned"] if churned is None else churned, dtype=int)
    x = features(customers).to_numpy()
    scaler = StandardScaler().fit(x)
    classifier = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(x), y)
    return ChurnModel(scaler, classifier)


def predict(model: ChurnModel, customers: pd.DataFrame) -> np.ndarray:
    """Each customer's probability of not returning within 12 months."""
    z = model.scaler.transform(features(customers).to_numpy())
    return np.asarray(model.classifier.predict_proba(z)[:, 1])


def contributions(model: ChurnModel, customers: pd.DataFrame) -> pd.DataFrame:
    """Per customer and feature: coefficient x standardised value (log-odds)."""
    z = model.scaler.transform(features(customers).to_numpy())
    return pd.DataFrame(z * model.classifier.coef_[0], index=customers.index, columns=FEATURES)


def reasons(model: ChurnModel, customers: pd.DataFrame, top: int = 3) -> list[list[Reason]]:
    """The main reasons per customer: the largest positive contributions, in words (or none)."""
    table = contributions(model, customers)
    high = features(customers).to_numpy() > model.scaler.mean_
    out = []
    for i, row in enumerate(table.to_numpy()):
        picked = []
        for j in np.argsort(-row)[:top]:
            if row[j] < MIN_CONTRIBUTION:
                break
            en_hi, en_lo, zh_hi, zh_lo = WORDS[FEATURES[j]]
            en, zh = (en_hi, zh_hi) if high[i, j] else (en_lo, zh_lo)
            picked.append(Reason(FEATURES[j], float(row[j]), en, zh))
        out.append(picked)
    return out


def evaluate(
    customers: pd.DataFrame, *, test_share: float = 0.3, seed: int = 0
) -> dict[str, float]:
    """Train on some customers, score the held-out rest: AUC, Brier score, calibration gap.

    calibration_gap: the largest |mean predicted - observed churn| over predicted-risk deciles.
    """
    train_rows, test_rows = train_test_split(
        customers, test_size=test_share, random_state=seed, stratify=customers["churned"]
    )
    model = train(train_rows)
    p = predict(model, test_rows)
    y = test_rows["churned"].to_numpy(dtype=int)
    bins = np.array_split(np.argsort(p), 10)
    gap = max(abs(p[b].mean() - y[b].mean()) for b in bins)
    return {
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "base_rate": float(y.mean()),
        "calibration_gap": float(gap),
        "held_out": float(len(y)),
    }
