"""Phrase banks for everything that is not about a commitment: off-topic themes, framing by register,
replies, form-letter campaigns and hostile payloads. Data only; all text is invented."""

from __future__ import annotations

# Off-topic themes a consultation attracts anyway (and the themes of the other consultations).
THEMES: dict[str, tuple[str, ...]] = {
    "traffic": (
        "路口的號誌時間太短，長輩根本來不及過馬路。",
        "機車待轉區的設計很危險，應該全面檢討。",
        "酒駕累犯的罰則要再加重，不然悲劇一再發生。",
        "公車班次太少，下班時間等半小時是常態。",
        "人行道被機車和攤販佔滿，推嬰兒車根本走不過去。",
        "高速公路的收費與壅塞問題，連假時特別嚴重。",
        "行人地獄的汙名要靠道路設計來改，不是靠宣導。",
    ),
    "pension": (
        "年金改革之後，退休的生活費真的不夠用。",
        "勞保基金快要破產了，年輕人繳的錢以後領得到嗎？",
        "軍公教與勞工的退休制度差距太大，應該逐步拉近。",
        "國民年金的保費對低收入戶來說負擔很重。",
        "退休金的計算方式應該更透明，讓大家自己算得出來。",
        "延後退休年齡之前，應該先顧好中高齡就業的環境。",
    ),
    "air": (
        "冬天中南部的空氣品質太差，小孩一直咳嗽。",
        "燃煤電廠的排放標準應該跟國際接軌。",
        "PM2.5 的預警常常來得太晚，學校來不及應變。",
        "工業區旁邊的居民長期吸廢氣，健康誰來負責？",
        "老舊柴油車的汰換補助應該擴大。",
        "露天燃燒稻草的問題每年都在發生，取締要更積極。",
    ),
    "health": (
        "急診室人滿為患，醫護人員過勞的問題要解決。",
        "健保費率調整應該先檢討浪費，而不是直接加價。",
        "偏鄉的醫療資源不足，看個專科要坐兩個小時的車。",
        "長照服務的申請流程太複雜，家屬常常不知道從何開始。",
        "藥品短缺的問題反覆發生，病人只能換藥。",
        "護理師的人力比應該入法，病人安全才有保障。",
    ),
    "housing": (
        "房價所得比太高，年輕人一輩子都買不起房子。",
        "社會住宅的數量遠遠不夠，抽籤像在抽樂透。",
        "租屋市場缺乏保障，房東隨時可以漲租金。",
        "囤房稅應該提高，讓空屋釋出到市場上。",
        "租金補貼的申請條件太嚴格，很多需要的人申請不到。",
        "都市更新卡在少數住戶，老公寓住起來很危險。",
    ),
    "platform": (
        "這個網站的留言功能很難用，打了一大段字送出後就不見了。",
        "手機版的頁面排版跑掉，按鈕都按不到。",
        "希望留言可以依照議題分類，不然很難看完。",
        "每次都要重新登入，希望能改善。",
    ),
}

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

# How a comment opens and closes, by register.
OPENERS: dict[str, tuple[str, ...]] = {
    "formal": (
        "敬啟者：",
        "謹就草案提出以下意見。",
        "感謝國發會提供此次參與機會。",
        "本人對於本行動方案草案有以下建議：",
        "有關草案內容，提供意見如下。",
    ),
    "casual": ("大家好，", "路過留言一下～", "看了草案，說幾句話。", "我覺得", "老實說，", "推這個討論！"),
    "angry": ("真的受夠了！", "講了這麼多年，", "政府到底有沒有在聽？", "又是一份漂亮的文件，"),
    "question": ("想請教一下，", "不好意思，有個問題：", "請問承辦單位，"),
}
CLOSERS: dict[str, tuple[str, ...]] = {
    "formal": ("以上意見，敬請參考。", "謝謝。", "敬請惠予採納。", "以上，謝謝承辦同仁的辛勞。"),
    "casual": ("加油！", "謝謝～", "大概就這樣。", "期待看到改變 👍", "就醬 😅", "支持 🙏"),
    "angry": ("不要再敷衍了！", "請拿出誠意！！", "😡😡😡", "人民在看。"),
    "question": ("謝謝回覆。", "麻煩說明，感謝。", "期待回應。"),
}
CONNECTORS: tuple[str, ...] = ("另外，", "此外，", "還有一點，", "順帶一提，", "同時，", "再者，")

# Short comments that fit no commitment and no theme.
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

# Replies under a comment: citizens and the agency itself.
REPLIES: tuple[str, ...] = (
    "同意你的看法。",
    "樓上說得很好，補充一點：細節還需要再討論。",
    "我不太同意，實務上沒那麼容易。",
    "請問有相關的資料來源嗎？",
    "+1，我也遇過一樣的情況。",
    "這個建議很實際，希望能被採納。",
    "其實已經有類似的規定了，只是執行不到位。",
    "謝謝分享經驗。",
)
AGENCY_REPLIES: tuple[str, ...] = (
    "感謝您的寶貴意見，我們將納入行動方案研議參考。",
    "謝謝您的建議，相關內容將轉請主協辦機關研處。",
    "您好，有關您提到的問題，本會已於草案第二版中補充說明，歡迎參閱。",
    "感謝參與，本案將於諮詢會議中討論並公開會議紀錄。",
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
