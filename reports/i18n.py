"""Every interface string of the reports, per language (zh-TW and en, complete: a test checks that both
have the same keys).

Templates call ``t(key, **values)``; prompts and questions for workshops are templates filled only with
computed values (numbers, catalogue titles, theme terms) — never with free text from submissions.
"""

from __future__ import annotations

from collections.abc import Mapping

from analysis.catalogue import bundled_titles_en

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
    "colon": "：",
    "list_sep": "、",
    "paren": "（{text}）",
    "days_n": "{n} 天",
    # overview
    "consultations_heading": "政策討論（眾開講）",
    "col_consultation": "政策討論",
    "consultation_label": "政策討論",
    "consultation_source": "原討論頁",
    "scope_label": "本報告範圍：{parts}",
    "scope_all": "本報告範圍：分析 #{run_id} 的全部項目",
    "scope_policies": "{n} 個政策討論的留言",
    "scope_policy_titles": "政策討論{titles}的留言",
    "scope_title": "「{title}」",
    "scope_not_proposals": "（提點子與匯入的檔案不屬於任何政策討論，不在範圍內）",
    "scope_period": "{since} 至 {until}",
    "scope_source_crawled": "只含抓取的資料",
    "scope_source_imported": "只含匯入的檔案",
    "proposals_out_of_scope": "本報告的範圍不含提點子：提點子不屬於任何政策討論，也不是匯入的檔案。",
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
    "col_days_left": "剩餘附議期",
    "col_gained_7d": "近 7 天新增附議",
    "col_gained_30d": "近 30 天新增附議",
    "col_observed": "觀測時間",
    "days_ended": "已結束",
    "days_left_n": "剩 {n} 天",
    "history_heading": "附議數歷程（每次抓取的快照）",
    "chart_history": "附議數歷程（附議最多的提案）",
    "idea_status_Ready": "準備中",
    "idea_status_Proposing": "提議中",
    "idea_status_Adjusted": "修正中",
    "idea_status_FirstSigned": "附議中",
    "idea_status_SecondSigned": "附議達標",
    "idea_status_Advice": "機關研議中",
    "idea_status_Completed": "已回應",
    "idea_status_Rejected": "未通過審查",
    "idea_status_Revoked": "已撤案",
    "idea_status_FirstFailed": "附議未達門檻",
    "idea_status_SecondFailed": "未成案",
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
    "kn_likes": "留言按讚數",
    "kn_endorsements": "提案附議數",
    "chart_weekly": "承諾 {code}：每週意見數",
    "small_n_warning": "注意：本承諾只有 {n} 則不重複論點（少於 {min}），以下主題與比例僅供參考，不宜推論。",
    "no_input_warning": "本承諾目前沒有任何意見。",
    "themes_heading": "主要主題",
    "theme_size": "{size} 則",
    "quote_source": "原文",
    "quote_copies": "同一論點共 {n} 則（內容相同或幾乎相同，只引用一次）",
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
    "agency_replies_note": (
        "機關、平臺客服或管理者在討論區的留言，是回覆而不是民眾意見：不計入任何統計、主題或引文。"
    ),
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
    "gaps_themes_intro": (
        "以下主題的意見未能歸入任何承諾事項，依規模排序；至少有 {min} 則不重複論點的主題才列為可能的新承諾。"
    ),
    "gaps_smaller": (
        "另有 {n} 個較小的主題（不重複論點少於 {min} 則）不列為可能的新承諾，只列在下載的表格中。"
    ),
    "support_note": (
        "另有 {n} 則留言只表達支持、感謝或附和（如「推」「+1」「同意樓上」），沒有具體論點：計入總數，"
        "不列為主題或新承諾。"
    ),
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
    "fig_themes": (
        "主題：同一承諾內（或不屬任何承諾）意見的分群，談同一件事的群會合併；"
        "標籤是從留言中選出的短語（4–12 字），旁列該主題的特徵詞，不是人工摘要。只表達支持或感謝、"
        "沒有論點的留言另計，不成為主題。"
    ),
    "fig_quotes": "引文：每則引文皆逐字取自原始意見，並標示來源編號；產生報告時會檢查引文確實出現在原文中。",
    "fig_momentum": (
        "附議動能：最近兩次抓取時的附議數差；"
        "近 7 天、近 30 天為最新快照與該期間前最後一次快照之差（若沒有那麼早的快照，則自第一次觀測起算）。"
    ),
    "fig_deadline": "回應期限：成案（達到附議門檻）後兩個月；若網站載明期限則以網站為準。",
    "fig_small_n": "少量提示：不重複論點少於 {min} 則時，該頁會標示警告。",
    # prompt templates: only computed values go in
    "alignment_heading": "機關回應是否回答了民眾的主題",
    "alignment_intro": (
        "每則正式回應與本承諾最大的主題逐一比對：回應中有一句含該主題的短語或大部分特徵詞為「已回應」，"
        "含部分特徵詞為「部分回應」，否則為「未回應」。暫時回應（「將於…前發布正式回應」）另行標示。"
        "這是詞彙比對，不是人工判讀。"
    ),
    "col_verdict": "判定",
    "col_sentence": "回應中最相符的句子",
    "align_matched": "已回應",
    "align_partly": "部分回應",
    "align_not_addressed": "未回應",
    "align_placeholder": "暫時回應（尚無正式內容）",
    "align_none_addressed": "此回應未觸及任何主要主題",
    "q_not_addressed": "民眾關心的「{theme}」（{size} 則意見）在機關回應中沒有提到，機關對此有何規劃？",
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
    # review page: the facilitator labels a few comments, the next analysis takes them as examples
    "nav_review": "協助改進歸類",
    "review_heading": "協助改進歸類：為幾則意見選擇承諾事項",
    "review_intro": (
        "以下 {n} 則意見若由您標註，最能幫助下一次分析（與 joinfeedback suggest-examples 選出的相同）："
        "每個承諾事項與不屬於任何承諾的意見輪流各選一則，先選分析最沒把握的。"
        "每則列出目前的歸類；請選擇它真正屬於的承諾事項，或「不屬於任何承諾」。不確定的可以不選。"
    ),
    "review_step_choose": "為每則意見選擇承諾事項（選擇會保存在這個瀏覽器中，重新整理也不會消失）。",
    "review_step_download": "按頁面下方的按鈕下載 examples.csv。",
    "review_step_analyze": "在 examples.csv 所在的資料夾執行這一行，以您的標註為範例重新分析：",
    "review_step_report": "再重新產生報告，總覽與方法說明會列出有幾則範例、多少意見改變了歸類：",
    "review_same_database": (
        "兩行指令請使用與先前 analyze、report 相同的資料庫設定（--db 或設定檔）與報告資料夾（--out）。"
    ),
    "review_noscript": (
        "這個頁面需要 JavaScript 才能保存選擇與下載檔案。也可以改用指令 "
        "joinfeedback suggest-examples --n {n} --out examples.csv，再於檔案的 commitment_id 欄填寫。"
    ),
    "review_suggested_heading": "待標註的意見",
    "review_earlier_heading": "這次分析使用的範例",
    "review_earlier_intro": "這些範例會一併寫入下載的檔案，讓下一次分析繼續使用；也可以修改。",
    "review_kept": "另有 {n} 則範例不在本報告的範圍內，會原樣寫入檔案。",
    "review_download": "下載 examples.csv",
    "review_chosen": "已選 {n} 則。",
    "review_saved": "選擇只保存在這個瀏覽器中，不會上傳。",
    "review_unsaved": "這個瀏覽器無法保存選擇：關閉頁面前請先下載檔案。",
    "review_placed": "目前歸類",
    "review_confidence": "信心 {value}",
    "review_choice_label": "這則意見屬於",
    "review_not_chosen": "（尚未選擇）",
    "review_none_option": "不屬於任何承諾",
    "review_no_catalogue": (
        "本次分析沒有使用承諾目錄，無法以範例引導：請以 joinfeedback analyze --commitments 指定目錄後再分析。"
    ),
    "review_invite": "協助改進歸類：為幾則意見選擇承諾事項",
    "review_brief_link": "協助改進這個歸類",
    "review_brief_note": "：待標註的意見中有 {n} 則目前歸在這裡。",
    "review_gaps_note": "：待標註的意見中有 {n} 則目前不屬於任何承諾。",
    "steer_heading": "人工範例與歸類變動",
    "steer_examples": "本次分析由 {n} 則人工標註的範例引導。",
    "steer_no_examples": "本次分析沒有使用人工標註的範例。",
    "steer_moved": (
        "與上一次分析（批次 #{run_id}）相比，兩次都分析到的 {compared} 則意見中，有 {moved} 則改變了歸類"
        "（狀態或承諾事項不同）。"
    ),
    "placing_heading": "意見如何歸入承諾",
    "placing_views": (
        "每則意見以數種方式與各承諾比對：斷詞後的詞彙（與一般的 jieba + TF-IDF 做法相同）、詞彙加字元二元組、"
        "句向量（若已安裝）。各方式的權重依本次資料決定：一種方式與其他方式的一致程度高於巧合越多，權重越高；"
        "與其他方式只有巧合程度一致的方式不計。"
    ),
    "view_naive": "斷詞詞彙（jieba + TF-IDF）",
    "view_lexical": "詞彙與字元二元組（並以最確定的意見充實承諾）",
    "view_semantic": "句向量（並以最確定的意見充實承諾）",
    "placing_none": (
        "「不屬於任何承諾」是對一群意見的判斷，不是單一意見比對太弱：一群相近的意見若看起來像目錄缺少的主題，"
        "才列為不屬於任何承諾。本次設定：{mode}。"
        "可用 joinfeedback analyze --none strict|balanced|generous 改變。"
    ),
    "none_mode_heading": "設定",
    "none_mode_rule": "一群意見中比對優於無關文字的比例低於此值時，列為新主題",
    "none_precision": "精確率",
    "none_recall": "召回率",
    "none_mode_strict": "嚴格（strict）",
    "none_mode_balanced": "平衡（balanced）",
    "none_mode_generous": "寬鬆（generous）",
    "none_rule_strict": "四分之一",
    "none_rule_balanced": "三分之一",
    "none_rule_generous": "二分之一",
    "placing_none_measured": (
        "精確率與召回率是在本次資料上量得的：依序把每一個承諾從目錄中拿掉，看原本屬於它的意見群是否被認出為新主題，"
        "而其他意見群是否沒有被誤列。這是估計，不是人工標註的結果：在有人工標註的測試資料上，估計的精確率常與實際相差甚遠，"
        "請把它當作粗略的參考，並逐一檢視被列為新主題的意見。"
    ),
    "methods_steering": (
        "人工範例（joinfeedback analyze --examples）加入所屬承諾事項的定義，並保留標註的歸類；"
        "範例清單記錄在下方分析批次紀錄的 examples 欄。改變歸類的意見數只比較兩次分析都有的意見，"
        "並以本報告的範圍為準。"
    ),
    "sentence_sep": "",
}

EN: dict[str, str] = {
    "site_title": "Public participation report",
    "nav_overview": "Overview",
    "nav_proposals": "Proposals",
    "nav_gaps": "Gap map",
    "nav_methods": "Methods",
    "nav_commitments": "Commitments",
    "generated_from": "Source: analysis run #{run_id} (finished {finished})",
    "skip_to_content": "Skip to main content",
    "download_csv": "CSV",
    "download_json": "JSON",
    "download_pdf": "PDF (print)",
    "download_md": "Markdown",
    "downloads": "Downloads",
    "colon": ": ",
    "list_sep": ", ",
    "paren": " ({text})",
    "days_n": "{n} days",
    # overview
    "consultations_heading": "Consultations",
    "col_consultation": "Consultation",
    "consultation_label": "Consultation",
    "consultation_source": "page on the site",
    "scope_label": "Scope of this report: {parts}",
    "scope_all": "Scope of this report: every item of analysis run #{run_id}",
    "scope_policies": "comments on {n} consultation(s)",
    "scope_policy_titles": "comments on the consultation(s) {titles}",
    "scope_title": "“{title}”",
    "scope_not_proposals": " (proposals and imported files belong to no consultation: not included)",
    "scope_period": "{since} to {until}",
    "scope_source_crawled": "crawled data only",
    "scope_source_imported": "imported files only",
    "proposals_out_of_scope": (
        "This report's scope holds no proposals: they belong to no consultation and are not imported files."
    ),
    "overview_heading": "Overview",
    "kpi_policies": "Consultations",
    "kpi_comments": "Comments",
    "kpi_proposals": "Proposals",
    "kpi_imported": "Imported items",
    "kpi_items": "Items analysed",
    "kpi_unique": "Unique arguments",
    "kpi_raw": "Raw submissions",
    "kpi_campaigns": "Form-letter campaigns",
    "coverage_heading": "Assignment coverage",
    "status_assigned": "Assigned to a commitment",
    "status_none": "Fits no commitment",
    "status_uncertain": "Uncertain",
    "by_commitment_heading": "Items per commitment",
    "over_time_heading": "Items over time",
    "campaigns_heading": "Form letters detected (campaign comments)",
    "chart_by_commitment": "Per commitment: raw submissions and unique arguments",
    "chart_over_time": "Items per day",
    "chart_coverage": "Assignment results",
    "chart_raw": "Raw submissions",
    "chart_unique": "Unique arguments",
    "chart_day": "Date",
    "chart_count": "Items",
    "col_code": "No.",
    "col_commitment": "Commitment",
    "col_raw": "Raw",
    "col_unique": "Unique arguments",
    "col_share": "Share of assigned",
    "col_status": "Assignment",
    "col_count": "Items",
    "col_share_all": "Share",
    "col_date": "Date",
    "col_campaign": "Form-letter group",
    "col_size": "Items",
    "col_first": "First seen",
    "col_last": "Last seen",
    "col_burst": "Burst",
    "col_exemplar": "Example",
    "col_theme": "Theme",
    "col_terms": "Distinctive terms",
    "col_delta": "Change since last run",
    "col_scope": "Scope",
    "yes": "yes",
    "no": "no",
    "none_found": "(none)",
    # proposals
    "proposals_heading": "Proposals (提點子)",
    "proposals_intro": (
        "Endorsement threshold {goal}, endorsement period 60 days; once passed, the agency must respond "
        "within two months."
    ),
    "momentum_heading": "Endorsement momentum (between the last two crawls)",
    "momentum_period": "Endorsement snapshots of {previous} compared with {latest}.",
    "momentum_none": "Fewer than two endorsement snapshots: no momentum yet.",
    "near_heading": "Proposals near the threshold or the deadline",
    "near_intro": (
        "At least {share}% of the threshold, or fewer than {days} days left to endorse (as of {as_of})."
    ),
    "responses_heading": "Agency responses and the two-month deadline",
    "by_agency_heading": "Responses per agency",
    "col_proposal": "Proposal",
    "col_endorse": "Endorsements",
    "col_goal": "Threshold",
    "col_progress": "Progress",
    "col_gained": "New endorsements",
    "col_due": "Endorsement deadline",
    "col_days_left": "Endorsement period left",
    "col_gained_7d": "Gained, last 7 days",
    "col_gained_30d": "Gained, last 30 days",
    "col_observed": "Observed",
    "days_ended": "ended",
    "days_left_n": "{n} days left",
    "history_heading": "Endorsement history (snapshot at each crawl)",
    "chart_history": "Endorsement history (most endorsed proposals)",
    "idea_status_Ready": "In preparation",
    "idea_status_Proposing": "Proposed",
    "idea_status_Adjusted": "Being revised",
    "idea_status_FirstSigned": "Collecting endorsements",
    "idea_status_SecondSigned": "Threshold reached",
    "idea_status_Advice": "Agency preparing its response",
    "idea_status_Completed": "Answered",
    "idea_status_Rejected": "Rejected in review",
    "idea_status_Revoked": "Withdrawn",
    "idea_status_FirstFailed": "Did not reach the threshold",
    "idea_status_SecondFailed": "Not accepted",
    "col_agency": "Agency",
    "col_passed": "Passed",
    "col_deadline": "Response due",
    "col_responded": "Formal response",
    "col_days_taken": "Days taken",
    "col_on_time": "On time",
    "col_state": "Status",
    "col_passed_n": "Passed",
    "col_responded_n": "Formally answered",
    "col_on_time_n": "Answered on time",
    "col_overdue_n": "Overdue, unanswered",
    "col_median_days": "Median days to respond",
    "state_on_time": "Answered on time",
    "state_late": "Answered late",
    "state_pending": "Within the deadline",
    "state_overdue": "Overdue, unanswered",
    # commitment brief
    "brief_heading": "Commitment {code}: {title}",
    "brief_label": "Workshop brief",
    "key_numbers": "Key numbers",
    "kn_raw": "Raw submissions",
    "kn_unique": "Unique arguments",
    "kn_share": "Share of all items",
    "kn_themes": "Themes",
    "kn_campaign_items": "In form letters",
    "kn_confidence": "Median assignment confidence",
    "kn_likes": "Likes on comments",
    "kn_low_confidence": "Share placed with low confidence (< 0.5)",
    "kpi_agency_replies": "Agency replies (not counted as input)",
    "agency_replies_heading": "Agency replies on the comment boards",
    "related_agency_replies_heading": "Agency replies on the boards (to this commitment's comments)",
    "agency_replies_note": (
        "Messages that agencies, the platform's service desk or board administrators post are "
        "replies, not public input: they are left out of every count, theme and quote."
    ),
    "col_agency_account": "Replying account",
    "col_agency_reply": "Reply",
    "kn_endorsements": "Endorsements of proposals",
    "chart_weekly": "Commitment {code}: items per week",
    "small_n_warning": (
        "Note: this commitment has only {n} unique arguments (fewer than {min}); the themes and shares "
        "below are indicative only."
    ),
    "no_input_warning": "This commitment has no input yet.",
    "themes_heading": "Main themes",
    "theme_size": "{size} items",
    "quote_source": "source",
    "quote_copies": "one of {n} identical or near-identical submissions, quoted once",
    "quote_no_link": "(no link available)",
    "kind_comment": "Comment",
    "kind_idea": "Proposal",
    "kind_import": "Imported",
    "minority_heading": "Minority views worth a look",
    "commitment_campaigns_heading": "Form letters (campaign comments)",
    "campaign_note": "{size} identical or near-identical submissions, counted once as an argument.",
    "related_responses_heading": "Related agency responses",
    "questions_heading": "Questions for the agency",
    "prompts_heading": "Discussion prompts",
    "changes_heading": "Since the previous analysis",
    "changes_none": "No previous complete analysis to compare with.",
    "changes_new_items": "{n} new items (previous: run #{run_id}).",
    "changes_theme_new": "new theme",
    "description_heading": "The commitment",
    "back_to_overview": "Back to the overview",
    "support_note": (
        "A further {n} comments only agree, thank or cheer (such as 推, +1, 同意樓上) without an argument: "
        "counted in the totals, never a theme or a new commitment."
    ),
    # gap map
    "gaps_heading": "Gap map",
    "gaps_themes_heading": "Themes that fit no commitment (possible new commitments)",
    "gaps_themes_intro": (
        "Items in these themes could not be assigned to any commitment; largest first. A theme is offered as "
        "a possible new commitment when at least {min} distinct arguments raise it."
    ),
    "gaps_smaller": (
        "{n} smaller theme(s) (fewer than {min} distinct arguments) are not offered as possible new "
        "commitments; they are in the downloadable table only."
    ),
    "gaps_quiet_heading": "Commitments with little or no input",
    "gaps_quiet_intro": "Commitments with fewer than {min} unique arguments.",
    # methods
    "methods_heading": "Methods",
    "methods_manifest": "Analysis run record (manifest)",
    "methods_period": "Data period",
    "methods_period_value": "{start} to {end}",
    "methods_figures": "What each figure means",
    "methods_run": (
        "Analysis run #{run_id}, started {started}, finished {finished}; catalogue {catalogue}; random "
        "seed {seed}."
    ),
    "methods_redaction": (
        "In the printed briefs (PDF, Markdown), e-mail addresses, phone numbers and ID numbers in quotes "
        "are masked as “{mask}”."
    ),
    "methods_no_redaction": "Personal data in the printed briefs was not masked for this report.",
    "methods_csv": (
        "CSV cells starting with = + - @, a tab or a line break are prefixed with a single quote ' so that "
        "spreadsheets do not run them as formulas."
    ),
    "fig_raw": (
        "Raw submissions: every item of the analysis run (comments, proposals and imported items), each "
        "copy of a form letter included."
    ),
    "fig_unique": (
        "Unique arguments: submissions with (nearly) the same text merged; a form-letter campaign counts "
        "once."
    ),
    "fig_coverage": (
        "Coverage: the shares assigned to a commitment, fitting no commitment, or too close to call "
        "between two (uncertain)."
    ),
    "fig_themes": (
        "Themes: groups of the items of one commitment (or of those fitting none); groups about one "
        "subject are merged. A label is a short phrase taken from the comments (4-12 characters), shown "
        "with the theme's distinctive terms; it is not a human summary. Comments that only agree or thank, "
        "with no argument, are counted apart and never form a theme."
    ),
    "fig_quotes": (
        "Quotes: every quote is taken verbatim from the original item and names its source id; the report "
        "checks that each quote occurs in the stored text."
    ),
    "fig_momentum": (
        "Endorsement momentum: the difference in endorsements between the last two crawls; last 7 and 30 "
        "days: the latest snapshot minus the last snapshot before that period (or the first snapshot, when "
        "none is that old)."
    ),
    "fig_deadline": (
        "Response deadline: two months after the proposal passed (reached the threshold), or the site's "
        "own deadline when it states one."
    ),
    "fig_small_n": "Small numbers: a page with fewer than {min} unique arguments carries a warning.",
    # prompt templates: only computed values go in
    "alignment_heading": "Did the agency's responses answer the public's themes?",
    "alignment_intro": (
        "Each formal response is compared with this commitment's largest themes: matched when one of its "
        "sentences holds the theme's phrase or most of its distinctive terms, partly when it holds some of "
        "them, otherwise not addressed. Placeholder responses (promising a formal one by a date) are "
        "marked. This is word matching, not a human reading."
    ),
    "col_verdict": "Verdict",
    "col_sentence": "Best-matching sentence of the response",
    "align_matched": "matched",
    "align_partly": "partly",
    "align_not_addressed": "not addressed",
    "align_placeholder": "placeholder (no formal content yet)",
    "align_none_addressed": "this response addresses none of the main themes",
    "q_not_addressed": (
        "The public's theme “{theme}” ({size} items) is not mentioned in the agency's responses: what does "
        "the agency plan on it?"
    ),
    "q_top_theme": "On “{theme}” ({size} items), what does the agency plan?",
    "q_campaign": (
        "{size} form-letter submissions ask for the same thing: will the agency answer their demand?"
    ),
    "q_small_n": (
        "This commitment received only {n} unique arguments: how will the agency widen the consultation?"
    ),
    "q_overdue": (
        "“{proposal}” is {days} days past its two-month response deadline: when will the agency respond?"
    ),
    "p_top_theme": (
        "The most common theme is “{theme}”, {share}% of this commitment's items. What need does it reflect?"
    ),
    "p_minority": "The minority view “{theme}” has only {size} items: does it point at something overlooked?",
    "p_growth": "“{theme}” grew by {delta} items since the last analysis: what might be behind it?",
    "p_uncertain": (
        "{share}% of all items could not be placed with certainty: which commitments need clearer boundaries?"
    ),
    "p_default": (
        "Of this commitment's {n} items, which suggestions could most likely make it into the next action "
        "plan?"
    ),
    "print_footer": "Commitment {code} workshop brief · analysis run #{run_id}",
    "redacted_mask": "[redacted]",
    # review page: the facilitator labels a few comments, the next analysis takes them as examples
    "nav_review": "Improve the grouping",
    "review_heading": "Help improve the grouping: place a few comments",
    "review_intro": (
        "Your labels on these {n} comments would help the next analysis most (the same comments as "
        "joinfeedback suggest-examples picks): one for each commitment and for the comments that fit none, "
        "in turn, those the analysis was least sure of first. Each shows where it is placed now; choose the "
        "commitment it belongs to, or “none”. Leave out any you are unsure of."
    ),
    "review_step_choose": (
        "Choose a commitment for each comment (your choices stay in this browser, also after a reload)."
    ),
    "review_step_download": "Download examples.csv with the button at the bottom of the page.",
    "review_step_analyze": "In the folder holding examples.csv, analyse again with your labels as examples:",
    "review_step_report": (
        "Then build the report again: the overview and the methods page say how many examples steered it "
        "and how many items moved:"
    ),
    "review_same_database": (
        "Run both with the database (--db or the configuration) and report folder (--out) you used for "
        "analyze and report before."
    ),
    "review_noscript": (
        "This page needs JavaScript to keep your choices and download the file. Instead, run "
        "joinfeedback suggest-examples --n {n} --out examples.csv and fill in its commitment_id column."
    ),
    "review_suggested_heading": "Comments to place",
    "review_earlier_heading": "Examples this analysis used",
    "review_earlier_intro": (
        "These are written to the downloaded file too, so the next analysis keeps them; you may change them."
    ),
    "review_kept": "Examples outside this report's scope, written to the file as they are: {n}.",
    "review_download": "Download examples.csv",
    "review_chosen": "Chosen: {n}.",
    "review_saved": "Your choices stay in this browser only; nothing is uploaded.",
    "review_unsaved": "This browser cannot keep your choices: download the file before closing the page.",
    "review_placed": "Placed now",
    "review_confidence": "confidence {value}",
    "review_choice_label": "This comment belongs to",
    "review_not_chosen": "(not chosen)",
    "review_none_option": "none: fits no commitment",
    "review_no_catalogue": (
        "This analysis used no catalogue, so examples cannot steer it: analyse with "
        "joinfeedback analyze --commitments first."
    ),
    "review_invite": "Help improve the grouping: place a few comments",
    "review_brief_link": "Help improve this grouping",
    "review_brief_note": " (comments to place that sit here now: {n})",
    "review_gaps_note": " (comments to place that fit no commitment now: {n})",
    "steer_heading": "Examples and what moved",
    "steer_examples": "Examples placed by a facilitator that steered this analysis: {n}.",
    "steer_no_examples": "No facilitator's examples steered this analysis.",
    "steer_moved": (
        "Items that moved since the previous analysis (run #{run_id}), another status or commitment: "
        "{moved} of the {compared} both analysed."
    ),
    "placing_heading": "How comments were placed under commitments",
    "placing_views": (
        "Each comment is matched to every commitment in several ways: its words after segmentation "
        "(what a plain jieba + TF-IDF script does), words and character bigrams, and sentence vectors "
        "(when installed). How much each way counts is decided on this run's data: the more a way agrees "
        "with the others beyond chance, the more it counts; a way that agrees only by chance does not count."
    ),
    "view_naive": "segmented words (jieba + TF-IDF)",
    "view_lexical": "words and character bigrams (commitments enriched by the surest comments)",
    "view_semantic": "sentence vectors (commitments enriched by the surest comments)",
    "placing_none": (
        "\u201cFits no commitment\u201d is a judgement on a group of comments, not a weak match of one: "
        "a group of similar comments is listed as fitting none when it looks like a topic the catalogue "
        "lacks. This run: {mode}. Change it with joinfeedback analyze --none strict|balanced|generous."
    ),
    "none_mode_heading": "setting",
    "none_mode_rule": "a group is new when fewer of its comments than this match better than unrelated text",
    "none_precision": "precision",
    "none_recall": "recall",
    "none_mode_strict": "strict",
    "none_mode_balanced": "balanced",
    "none_mode_generous": "generous",
    "none_rule_strict": "a quarter",
    "none_rule_balanced": "a third",
    "none_rule_generous": "a half",
    "placing_none_measured": (
        "Precision and recall are measured on this run's data: each commitment is taken out of the "
        "catalogue in turn, and the groups of comments that were its should be recognised as new, the "
        "others not. They are estimates, not hand labels: on hand-labelled test sets the estimated "
        "precision was often far from the real one, so read them as a rough guide and check the comments "
        "listed as new."
    ),
    "methods_steering": (
        "A facilitator's examples (joinfeedback analyze --examples) join their commitment's definition and "
        "keep their label; the run record below lists them under examples. Items that moved are counted "
        "among the items both runs analysed, within this report's scope."
    ),
    "sentence_sep": " ",
}

LANGUAGES: dict[str, Mapping[str, str]] = {"zh-TW": ZH_TW, "en": EN}


class Translator:
    """Looks a key up in one language, falling back to zh-TW; a missing key is a bug, so it raises."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        if language not in LANGUAGES:
            raise KeyError(f"no strings for language {language!r}")
        self.language = language
        self._strings = LANGUAGES[language]

    def __call__(self, key: str, **values: object) -> str:
        template = self._strings.get(key)
        if template is None:
            template = ZH_TW[key]
        return template.format(**values) if values else template

    def commitment_title(self, title: str) -> str:
        """A commitment's title in this language when one is known (the bundled catalogue's English titles),
        else as the catalogue gives it."""
        return bundled_titles_en().get(title, title) if self.language == "en" else title

    @property
    def html_lang(self) -> str:
        return "zh-Hant-TW" if self.language == "zh-TW" else self.language


__all__ = ["DEFAULT_LANGUAGE", "EN", "LANGUAGES", "ZH_TW", "Translator"]
