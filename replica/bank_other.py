"""Phrase banks for the consultations' subjects, form-letter campaigns and hostile payloads. Data only; all
text is invented. Off-topic sentences live in ``replica.bank_themes``, framing and replies in
``replica.bank_voice``."""

from __future__ import annotations

# The other consultations: a theme, the agency that posts it, and title stems.
POLICY_SUBJECTS: tuple[tuple[str, str, str], ...] = (
    ("traffic", "交通部", "「道路交通管理處罰條例」部分條文修正草案"),
    ("traffic", "交通部", "「道路交通安全規則」修正草案預告"),
    ("traffic", "內政部", "「市區道路及附屬工程設計規範」修正草案"),
    ("pension", "銓敘部", "「公務人員退休資遣撫卹法」施行細則修正草案"),
    ("pension", "勞動部", "「勞工保險條例」部分條文修正草案"),
    ("air", "行政院環境保護署", "「空氣污染防制法」施行細則修正草案"),
    ("air", "行政院環境保護署", "「固定污染源空氣污染物排放標準」修正草案"),
    ("health", "衛生福利部", "「全民健康保險法」部分條文修正草案"),
    ("health", "衛生福利部", "「長期照顧服務法」施行細則修正草案"),
    ("health", "衛生福利部", "「醫療法」第五十九條修正草案"),
    ("housing", "內政部", "「住宅法」部分條文修正草案"),
    ("housing", "內政部", "「租賃住宅市場發展及管理條例」施行細則草案"),
    ("housing", "財政部", "「房屋稅條例」部分條文修正草案"),
    ("c1.1", "國家發展委員會", "「政府資料開放與運用條例」草案"),
    ("c1.2", "國家發展委員會", "政府資料開放平臺精進計畫意見徵詢"),
    ("c2.1", "中央選舉委員會", "「公民投票法」電子連署作業辦法草案"),
    ("c2.2", "教育部", "青年參與公共事務行動方案意見徵詢"),
    ("c2.3", "國家發展委員會", "地方創生國家戰略計畫意見徵詢"),
    ("c4.1", "監察院", "「政治獻金法」部分條文修正草案"),
    ("c4.2", "法務部", "「政府採購法」部分條文修正草案"),
    ("c5.1", "法務部", "「洗錢防制法」部分條文修正草案"),
    ("c3.2", "內政部", "新住民發展基金補助作業要點修正草案"),
)

# Short remarks a form-letter copy sometimes ends with.
GENERIC: tuple[str, ...] = (
    "支持！",
    "推",
    "加油",
    "同意樓上",
    "這個方案很好，支持政府推動。",
    "看不太懂草案在說什麼。",
    "希望不要只是做做樣子。",
    "謝謝分享 👍",
    "期待正式版本",
    "+1",
    "沒意見，支持。",
    "請加快腳步。",
)

DELETED_TEXT = "使用者已自行刪除留言"

EMOJI: tuple[str, ...] = ("👍", "🙏", "😡", "🤔", "💪", "❤️", "🇹🇼", "😂")

# Entities the site leaves in content HTML; the analysis must unescape them.
ENTITY_SNIPPETS: tuple[str, ...] = ("&nbsp;", "&amp;", "&quot;重點&quot;", "A&amp;B", "&lt;3", "&hellip;")

# Stored verbatim as comment HTML: the crawler and reports must neutralise them.
HOSTILE: tuple[str, ...] = (
    "<p>測試<script>alert(1)</script></p>",
    "<p><img src=x onerror=alert(1)>資料開放加油</p>",
    '<p>詳見 <a href="javascript:alert(document.cookie)">這個連結</a></p>',
    "<p>\u202e這段文字方向被反轉了\u202c 請注意</p>",
    '<p><iframe src="http://evil.example/"></iframe>支持</p>',
    "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 已轉義的也要測</p>",
)

# Form-letter campaigns: (campaign id, commitment id or "" for none, theme or "", base paragraphs).
# Copies get small edits (synonyms, a dropped or added sentence, punctuation, a signature).
CAMPAIGNS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "campaign-open-data-law",
        "1.1",
        "",
        (
            "我們強烈要求政府在今年內完成政府資料開放專法的立法程序。",
            "沒有法律依據，資料開放永遠只能看機關的臉色。",
            "請國發會將資料開放法列為行動方案的第一優先承諾，並公布明確的時程。",
        ),
    ),
    (
        "campaign-referendum",
        "2.1",
        "",
        (
            "公投電子連署系統應立即上線，並提供自然人憑證以外的身分驗證方式。",
            "公民參與的權利不應該被技術門檻綁架。",
            "請中選會在行動方案中承諾具體的上線日期。",
        ),
    ),
    (
        "campaign-pension",
        "",
        "pension",
        (
            "反對任何形式的年金再砍！退休人員的生活已經受到嚴重影響。",
            "政府應該先檢討其他支出，而不是一再犧牲退休者。",
            "請把我們的聲音帶進行動方案的討論。",
        ),
    ),
)
CAMPAIGN_SWAPS: tuple[tuple[str, str], ...] = (
    ("強烈要求", "嚴正要求"),
    ("政府", "行政院"),
    ("立即", "儘速"),
    ("應該", "應"),
    ("請", "懇請"),
    ("，", "、"),
    ("。", "！"),
)
CAMPAIGN_SIGNATURES: tuple[str, ...] = (
    "",
    "",
    "",
    "一位關心的公民",
    "連署人",
    "台中市民",
    "— 學生",
    "一位老師",
)
