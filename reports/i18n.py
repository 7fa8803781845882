"""Every interface string of the reports, per language (zh-TW complete; en as a partial fallback example).

Templates call ``t(key, **values)``; prompts and questions for workshops are templates filled only with
computed values (numbers, catalogue titles, theme terms) — never with free text from submissions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_LANGUAGE = "zh-TW"

ZH_TW: dict[str, str] = {
    "site_title": "公共參與意見分析報告",
    "nav_overview": "總覽",
    "nav_proposals": "提點子統計",
    "nav_gaps": "缺口地圖",
    "nav_methods": "方法說明",
    "nav_commitments": "承諾事項",
    "generated_from": "資料來源：分析批次 #{run_id}（完成於 {finished}）",
    "skip_to_content": "跳至主要內容",
    "download_csv": "CSV",
    "download_json": "JSON",
    "download_pdf": "PDF 列印版",
    "download_md": "Markdown",
    "downloads": "下載",
    # overview
    "overview_heading": "總覽",
    "kpi_policies": "政策討論",
    "kpi_comments": "留言",
    "kpi_proposals": "提點子提案",
    "kpi_imported": "匯入意見",
    "kpi_agency_replies": "機關回覆（不計入意見）",
    "kpi_items": "分析的意見",
    "kpi_unique": "不重複論點",
    "kpi_raw": "原始提交數",
    "kpi_campaigns": "連署式／制式意見群",
    "coverage_heading": "歸類涵蓋率",
    "status_assigned": "已歸入承諾",
    "status_none": "不屬於任何承諾",
    "status_uncertain": "無法確定",
    "by_commitment_heading": "各承諾事項的意見數",
    "over_time_heading": "意見數量隨時間變化",
    "campaigns_heading": "偵測到的制式意見（連署式留言）",
    "chart_by_commitment": "各承諾事項：原始提交數與不重複論點",
    "chart_over_time": "每日意見數",
    "chart_coverage": "歸類結果",
    "chart_raw": "原始提交",
    "chart_unique": "不重複論點",
    "chart_day": "日期",
    "chart_count": "件數",
    "col_code": "編號",
    "col_commitment": "承諾事項",
    "col_raw": "原始提交",
    "col_unique": "不重複論點",
    "col_share": "占已歸類比例",
    "col_status": "歸類",
    "col_count": "件數",
    "col_share_all": "比例",
    "col_date": "日期",
    "col_campaign": "制式意見群",
    "col_size": "件數",
    "col_first": "首次出現",
    "col_last": "最後出現",
    "col_burst": "短時間集中",
    "col_exemplar": "代表內容",
    "col_theme": "主題",
    "col_terms": "關鍵詞",
    "col_delta": "與上次相比",
    "col_scope": "範圍",
    "yes": "是",
    "no": "否",
    "none_found": "（無）",
    # proposals
    "proposals_heading": "提點子統計",
    "proposals_intro": "附議門檻 {goal} 人、附議期 60 天；成案後機關須於兩個月內回應。",
    "momentum_heading": "附議動能（最近兩次抓取之間）",
    "momentum_period": "比較 {previous} 與 {latest} 的附議數快照。",
    "momentum_none": "尚無兩次以上的附議快照，無法計算動能。",
    "near_heading": "接近門檻或期限的提案",
    "near_intro": "附議數達門檻 {share}% 以上，或附議期剩不到 {days} 天（以 {as_of} 為準）。",
    "responses_heading": "機關回應與兩個月期限",
    "by_agency_heading": "各機關回應情形",
    "col_proposal": "提案",
    "col_endorse": "附議數",
    "col_goal": "門檻",
    "col_progress": "達成率",
    "col_gained": "新增附議",
    "col_due": "附議截止",
    "col_days_left": "剩餘天數",
    "col_agency": "機關",
    "col_passed": "成案日",
    "col_deadline": "回應期限",
    "col_responded": "正式回應日",
    "col_days_taken": "耗時（天）",
    "col_on_time": "準時",
    "col_state": "狀態",
    "col_passed_n": "成案數",
    "col_responded_n": "已正式回應",
    "col_on_time_n": "準時回應",
    "col_overdue_n": "逾期未回應",
    "col_median_days": "回應天數中位數",
    "state_on_time": "準時回應",
    "state_late": "逾期回應",
    "state_pending": "尚在期限內",
    "state_overdue": "逾期未回應",
    # commitment brief
    "brief_heading": "承諾 {code}：{title}",
    "brief_label": "工作坊簡報",
    "key_numbers": "關鍵數字",
    "kn_raw": "原始提交",
    "kn_unique": "不重複論點",
    "kn_share": "占全部意見",
    "kn_themes": "主題數",
    "kn_campaign_items": "屬於制式意見",
    "kn_confidence": "歸類信心中位數",
    "kn_low_confidence": "低信心歸類占比（信心 < 0.5）",
    "small_n_warning": "注意：本承諾只有 {n} 則不重複論點（少於 {min}），以下主題與比例僅供參考，不宜推論。",
    "no_input_warning": "本承諾目前沒有任何意見。",
    "themes_heading": "主要主題",
    "theme_size": "{size} 則",
    "quote_source": "原文",
    "quote_no_link": "（無可用連結）",
    "kind_comment": "留言",
    "kind_idea": "提案",
    "kind_import": "匯入",
    "minority_heading": "少數但值得注意的意見",
    "commitment_campaigns_heading": "制式意見（連署式留言）",
    "campaign_note": "{size} 則內容相同或幾乎相同的提交，在論點統計中只算一次。",
    "related_responses_heading": "相關的機關回應",
    "agency_replies_heading": "機關在討論區的回覆",
    "related_agency_replies_heading": "機關在討論區的回覆（回覆本承諾的留言）",
    "agency_replies_note": "機關、平臺客服或管理者在討論區的留言，是回覆而不是民眾意見：不計入任何統計、主題或引文。",
    "col_agency_account": "回覆帳號",
    "col_agency_reply": "回覆內容",
    "questions_heading": "請機關回答的問題",
    "prompts_heading": "討論引導",
    "changes_heading": "與上一次分析相比",
    "changes_none": "沒有可比較的上一次完整分析。",
    "changes_new_items": "新增 {n} 則意見（上一次為批次 #{run_id}）。",
    "changes_theme_new": "新主題",
    "description_heading": "承諾內容",
    "back_to_overview": "回到總覽",
    # gap map
    "gaps_heading": "缺口地圖",
    "gaps_themes_heading": "不屬於任何承諾的主題（可能的新承諾）",
    "gaps_themes_intro": "以下主題的意見未能歸入任何承諾事項，依規模排序。",
    "gaps_quiet_heading": "意見很少或沒有意見的承諾",
    "gaps_quiet_intro": "不重複論點少於 {min} 則的承諾事項。",
    # methods
    "methods_heading": "方法說明",
    "methods_manifest": "分析批次紀錄（manifest）",
    "methods_period": "資料期間",
    "methods_period_value": "{start} 至 {end}",
    "methods_figures": "各項數字的意義",
    "methods_run": "分析批次 #{run_id}，開始 {started}，完成 {finished}；目錄 {catalogue}；亂數種子 {seed}。",
    "methods_redaction": "列印版（PDF、Markdown）引文中的電子郵件、電話號碼與身分證字號已遮蔽為「{mask}」。",
    "methods_no_redaction": "本次產生時未遮蔽列印版中的個人資料。",
    "methods_csv": "CSV 檔中以 = + - @ 或 Tab、換行開頭的儲存格前加上單引號 '，以免試算表將其當作公式執行。",
    "fig_raw": "原始提交：分析批次中的每一則意見（留言、提案與匯入意見），包含制式意見的每一份。",
    "fig_unique": "不重複論點：將內容（幾乎）相同的提交合併後的數量；制式意見群只算一次。",
    "fig_coverage": "歸類涵蓋率：已歸入某一承諾、不屬於任何承諾、或兩個以上承諾難以區分（無法確定）的比例。",
    "fig_themes": "主題：同一承諾內（或不屬任何承諾）意見的分群；標籤由關鍵詞組成，不是人工摘要。",
    "fig_quotes": "引文：每則引文皆逐字取自原始意見，並標示來源編號；產生報告時會檢查引文確實出現在原文中。",
    "fig_momentum": "附議動能：最近兩次抓取時的附議數差。",
    "fig_deadline": "回應期限：成案（達到附議門檻）後兩個月；若網站載明期限則以網站為準。",
    "fig_small_n": "少量提示：不重複論點少於 {min} 則時，該頁會標示警告。",
    # prompt templates: only computed values go in
    "q_top_theme": "關於「{theme}」（{size} 則意見），機關目前的規劃為何？",
    "q_campaign": "有 {size} 則制式意見要求同一件事，機關是否會回應其訴求？",
    "q_small_n": "本承諾只收到 {n} 則不重複論點，機關打算如何擴大徵詢？",
    "q_overdue": "「{proposal}」已超過兩個月回應期限 {days} 天，何時回應？",
    "p_top_theme": "最多人提到的主題是「{theme}」，占本承諾意見的 {share}%。這反映了什麼需求？",
    "p_minority": "少數意見「{theme}」只有 {size} 則，但是否指出了被忽略的面向？",
    "p_growth": "自上次分析以來，「{theme}」增加了 {delta} 則，背後可能的原因是什麼？",
    "p_uncertain": "全體意見中有 {share}% 無法確定歸屬，哪些承諾的界線需要說清楚？",
    "p_default": "本承諾的 {n} 則意見中，哪些建議最可能在下一版行動方案中落實？",
    "print_footer": "承諾 {code} 工作坊簡報 · 分析批次 #{run_id}",
    "redacted_mask": "［已遮蔽］",
}

EN: dict[str, str] = {
    "site_title": "Public participation report",
    "nav_overview": "Overview",
    "nav_proposals": "Proposals",
    "nav_gaps": "Gap map",
    "nav_methods": "Methods",
}

LANGUAGES: dict[str, Mapping[str, str]] = {"zh-TW": ZH_TW, "en": EN}


class Translator:
    """Looks a key up in one language, falling back to zh-TW; a missing key is a bug, so it raises."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        if language not in LANGUAGES:
            raise KeyError(f"no strings for language {language!r}")
        self.language = language
        self._strings = LANGUAGES[language]

    def __call__(self, key: str, **values: Any) -> str:
        template = self._strings.get(key)
        if template is None:
            template = ZH_TW[key]
        return template.format(**values) if values else template

    @property
    def html_lang(self) -> str:
        return "zh-Hant-TW" if self.language == "zh-TW" else self.language


__all__ = ["DEFAULT_LANGUAGE", "EN", "LANGUAGES", "ZH_TW", "Translator"]
