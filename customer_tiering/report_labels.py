"""Chinese and English labels of the HTML report (customer_tiering.html_report): titles, axis
names, column headers and one sentence per chart on how to read it. Tier names come from the
mart tier_strategies (tier_name_zh, tier_name_en) when it exists; the names here are the
fallback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")


@dataclass(frozen=True)
class SectionText:
    """A section's title and its one-sentence reading guide."""

    title: str
    how_to_read: str


_SECTIONS: dict[str, dict[Language, SectionText]] = {
    "pyramid": {
        "zh": SectionText(
            "客户金字塔", "每个层级的客户占比与收入占比：上层客户少，却贡献大部分收入。"
        ),
        "en": SectionText(
            "Customer pyramid",
            "Share of customers and of revenue per tier: few customers at the top bring most "
            "of the revenue.",
        ),
    },
    "pareto": {
        "zh": SectionText(
            "帕累托曲线（洛伦兹曲线）",
            "横轴为按收入排序的客户累计占比，纵轴为累计收入占比；红点是前 20% 客户的收入占比。",
        ),
        "en": SectionText(
            "Pareto / Lorenz curve",
            "Customers ranked by revenue (x: cumulative share of customers) against their "
            "cumulative share of revenue (y); the red point is the top 20 % of customers.",
        ),
    },
    "rfm_heatmap": {
        "zh": SectionText(
            "R × F 热力图",
            "每格为一组 R、F 评分：上行是平均消费金额（颜色越深越高），下行是客户数。",
        ),
        "en": SectionText(
            "R × F heatmap",
            "Each cell is one pair of R and F scores: mean monetary value on top (darker is "
            "higher), customers below.",
        ),
    },
    "lifecycle": {
        "zh": SectionText("生命周期漏斗", "各生命周期阶段的客户数，从潜在客户到流失客户依次排列。"),
        "en": SectionText(
            "Lifecycle funnel",
            "Customers per lifecycle stage, in the order of a customer's life from prospect "
            "to churned.",
        ),
    },
    "value_loyalty": {
        "zh": SectionText(
            "价值 × 忠诚度矩阵",
            "按价值（行）与忠诚度（列）划分的 A–D 四类，E 为不活跃、F 为潜在客户；"
            "每格为客户数与收入占比。",
        ),
        "en": SectionText(
            "Value × loyalty grid",
            "Grades A-D by value (rows) and loyalty (columns), E inactive and F prospects; "
            "each cell shows customers and share of revenue.",
        ),
    },
    "migrations": {
        "zh": SectionText(
            "最近一期层级迁移矩阵",
            "行为上期层级、列为本期层级，格内为客户数；对角线为保持不变的客户。",
        ),
        "en": SectionText(
            "Last migration matrix",
            "Rows are the tier at the earlier period end, columns the tier at the latest; "
            "cells count customers, the diagonal stayed.",
        ),
    },
    "flows": {
        "zh": SectionText(
            "漏桶模型", "每期新增、留存、召回与流失的客户数：流失高于新增与召回时，客户池在缩小。"
        ),
        "en": SectionText(
            "Leaky bucket",
            "New, retained, reactivated and lost customers per period: when lost exceeds new "
            "plus reactivated, the base shrinks.",
        ),
    },
    "kpis": {
        "zh": SectionText(
            "各层级 KPI 趋势", "金字塔各层级每期的活跃客户数、留存率、客单价与收入占比。"
        ),
        "en": SectionText(
            "KPI trends per tier",
            "Per pyramid tier and period: active customers, retention rate, average order value "
            "and share of revenue.",
        ),
    },
    "backtest": {
        "zh": SectionText(
            "回测：各层级提升度",
            "提升度 = 后续收入占比 ÷ 客户占比；大于 1 说明该层级的客户后续贡献高于平均。",
        ),
        "en": SectionText(
            "Back-test lift per tier",
            "Lift = share of the next periods' revenue over share of customers; above 1 the "
            "tier's customers brought more than the average customer.",
        ),
    },
    "value_distributions": {
        "zh": SectionText(
            "CLV 与存活概率分布", "预测客户终身价值（CLV）与存活概率（p_alive）的客户数分布。"
        ),
        "en": SectionText(
            "CLV and p_alive distributions",
            "Customers by predicted customer lifetime value (CLV) and by probability of being "
            "alive (p_alive).",
        ),
    },
    "strategies": {
        "zh": SectionText(
            "分级策略表", "每个方案每个层级的核心目标、负责人、联系频率与本期客户数。"
        ),
        "en": SectionText(
            "Strategy table",
            "Per scheme and tier: core goal, owner, contact cadence and this run's customers.",
        ),
    },
}

_WORDS: dict[str, dict[Language, str]] = {
    "report_title": {"zh": "客户分级报告", "en": "Customer tiering report"},
    "as_of": {"zh": "数据截至", "en": "As of"},
    "source": {"zh": "数据来源", "en": "Source"},
    "not_built": {"zh": "未生成（相应数据表不存在）", "en": "not built (mart missing)"},
    "customers": {"zh": "客户数", "en": "Customers"},
    "customer_share": {"zh": "客户占比", "en": "Share of customers"},
    "revenue": {"zh": "收入", "en": "Revenue"},
    "revenue_share": {"zh": "收入占比", "en": "Share of revenue"},
    "cumulative_revenue_share": {"zh": "累计收入占比", "en": "Cumulative share of revenue"},
    "cumulative_customer_share": {"zh": "累计客户占比", "en": "Cumulative share of customers"},
    "average_monetary": {"zh": "平均消费金额", "en": "Mean monetary"},
    "tier": {"zh": "层级", "en": "Tier"},
    "top_20": {"zh": "前 20% 客户贡献", "en": "top 20 % bring"},
    "of_revenue": {"zh": "的收入", "en": "of revenue"},
    "r_score": {"zh": "R 评分（近度，5 = 最近）", "en": "R score (recency, 5 = most recent)"},
    "f_score": {"zh": "F 评分（频度，5 = 最频繁）", "en": "F score (frequency, 5 = most)"},
    "value_high": {"zh": "高价值", "en": "High value"},
    "value_low": {"zh": "低价值", "en": "Low value"},
    "loyalty_high": {"zh": "高忠诚度", "en": "High loyalty"},
    "loyalty_low": {"zh": "低忠诚度", "en": "Low loyalty"},
    "outside_grid": {"zh": "其他", "en": "Other"},
    "from_tier": {"zh": "上期层级", "en": "Tier before"},
    "to_tier": {"zh": "本期层级", "en": "Tier now"},
    "unclassified": {"zh": "未分级", "en": "not tiered"},
    "period": {"zh": "期末", "en": "Period end"},
    "new_customers": {"zh": "新增", "en": "New"},
    "retained_customers": {"zh": "留存", "en": "Retained"},
    "reactivated_customers": {"zh": "召回", "en": "Reactivated"},
    "lost_customers": {"zh": "流失", "en": "Lost"},
    "active_customers": {"zh": "活跃客户数", "en": "Active customers"},
    "retention_rate": {"zh": "留存率", "en": "Retention rate"},
    "average_order_value": {"zh": "客单价", "en": "Average order value"},
    "lift": {"zh": "提升度", "en": "Lift"},
    "lift_reference": {"zh": "1 = 平均水平", "en": "1 = average"},
    "backtest_window": {"zh": "回测起点", "en": "Back-test from"},
    "horizon": {"zh": "观察期（期数）", "en": "horizon (periods)"},
    "predicted_clv": {"zh": "预测 CLV", "en": "Predicted CLV"},
    "p_alive": {"zh": "存活概率 p_alive", "en": "Probability alive (p_alive)"},
    "scheme": {"zh": "方案", "en": "Scheme"},
    "core_goal": {"zh": "核心目标", "en": "Core goal"},
    "owner_role": {"zh": "负责人", "en": "Owner"},
    "contact_cadence": {"zh": "联系频率", "en": "Contact cadence"},
    "migration_period": {"zh": "迁移区间", "en": "Migration"},
    "language_note": {"zh": "语言", "en": "Language"},
}

_SCHEMES: dict[str, dict[Language, str]] = {
    "pyramid_tier": {"zh": "客户金字塔", "en": "Pyramid tier"},
    "rfm_segment": {"zh": "RFM 细分", "en": "RFM segment"},
    "lifecycle_stage": {"zh": "生命周期", "en": "Lifecycle stage"},
    "value_loyalty_grade": {"zh": "价值 × 忠诚度", "en": "Value × loyalty"},
    "b2b_segment": {"zh": "B2B 细分", "en": "B2B segment"},
    "clv_band": {"zh": "CLV 分段", "en": "CLV band"},
    "cluster": {"zh": "聚类", "en": "Cluster"},
}


@dataclass(frozen=True)
class Labels:
    """The report's words in one language."""

    language: Language

    def section(self, name: str) -> SectionText:
        return _SECTIONS[name][self.language]

    def word(self, name: str) -> str:
        return _WORDS[name][self.language]

    def scheme(self, name: str) -> str:
        return _SCHEMES.get(name, {}).get(self.language, name)


def section_names() -> tuple[str, ...]:
    """Every section of the report, in display order."""
    return tuple(_SECTIONS)
