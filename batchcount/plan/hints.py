"""Hand-made lookup tables for `batchcount.plan.vocabulary`.

Every target named here must exist in `schemas/vocabulary.json` (a test checks this). Keys are
written the way people type them; `vocabulary` normalises them (case, punctuation, `&`) on load.
"""

from __future__ import annotations

# Common non-LinkedIn industry words, and LinkedIn's pre-2022 industry names, with the current
# names to suggest. Suggestions only: an unknown industry is never rewritten silently, because
# the API counts 0 (and bills) for a wrong name and we cannot be sure what the user meant.
INDUSTRY_HINTS: dict[str, tuple[str, ...]] = {
    "Fintech": ("Financial Services",),
    "Finance": ("Financial Services",),
    "SaaS": ("Software Development",),
    "Software": ("Software Development",),
    "Computer Software": ("Software Development",),
    "Tech": ("Software Development", "Technology, Information and Internet"),
    "Technology": ("Technology, Information and Internet", "Software Development"),
    "Internet": ("Technology, Information and Internet",),
    "IT": ("IT Services and IT Consulting",),
    "Information Technology": ("IT Services and IT Consulting",),
    "Information Technology and Services": ("IT Services and IT Consulting",),
    "AI": ("Software Development", "Technology, Information and Internet"),
    "Artificial Intelligence": ("Software Development", "Technology, Information and Internet"),
    "Machine Learning": ("Software Development", "Technology, Information and Internet"),
    "Cybersecurity": ("Computer and Network Security",),
    "Healthcare": ("Hospitals and Health Care",),
    "Health Care": ("Hospitals and Health Care",),
    "Hospital & Health Care": ("Hospitals and Health Care",),
    "Medical Devices": ("Medical Equipment Manufacturing",),
    "Medical Practice": ("Medical Practices",),
    "Pharma": ("Pharmaceutical Manufacturing",),
    "Pharmaceuticals": ("Pharmaceutical Manufacturing",),
    "Biotech": ("Biotechnology Research",),
    "Biotechnology": ("Biotechnology Research",),
    "Bank": ("Banking",),
    "Banks": ("Banking",),
    "Venture Capital & Private Equity": ("Venture Capital and Private Equity Principals",),
    "Private Equity": ("Venture Capital and Private Equity Principals",),
    "Crypto": ("Blockchain Services", "Financial Services"),
    "Web3": ("Blockchain Services",),
    "E-commerce": ("Online and Mail Order Retail", "Retail", "Internet Marketplace Platforms"),
    "Ecommerce": ("Online and Mail Order Retail", "Retail", "Internet Marketplace Platforms"),
    "Apparel & Fashion": ("Retail Apparel and Fashion",),
    "Consumer Goods": ("Manufacturing",),
    "Consumer Electronics": ("Computers and Electronics Manufacturing",),
    "Automotive": ("Motor Vehicle Manufacturing", "Retail Motor Vehicles"),
    "Telecom": ("Telecommunications",),
    "Telecoms": ("Telecommunications",),
    "Telco": ("Telecommunications",),
    "Wireless": ("Wireless Services",),
    "Marketing": ("Advertising Services", "Marketing Services"),
    "Advertising": ("Advertising Services",),
    "Marketing and Advertising": ("Advertising Services",),
    "Public Relations": ("Public Relations and Communications Services",),
    "Consulting": ("Business Consulting and Services",),
    "Management Consulting": ("Business Consulting and Services",),
    "Outsourcing/Offshoring": ("Outsourcing and Offshoring Consulting",),
    "Education Management": ("Education Administration Programs",),
    "EdTech": ("E-Learning Providers",),
    "E-Learning": ("E-Learning Providers",),
    "Primary/Secondary Education": ("Primary and Secondary Education",),
    "Government": ("Government Administration",),
    "Public Sector": ("Government Administration",),
    "Non-profit": ("Non-profit Organizations",),
    "Nonprofit Organization Management": ("Non-profit Organizations",),
    "NGO": ("Non-profit Organizations",),
    "Charity": ("Non-profit Organizations",),
    "Logistics": ("Transportation, Logistics, Supply Chain and Storage",),
    "Logistics and Supply Chain": ("Transportation, Logistics, Supply Chain and Storage",),
    "Supply Chain": ("Transportation, Logistics, Supply Chain and Storage",),
    "Transportation/Trucking/Railroad": ("Truck Transportation", "Rail Transportation"),
    "Airlines/Aviation": ("Airlines and Aviation",),
    "Aerospace": ("Aviation and Aerospace Component Manufacturing",),
    "Defense": ("Defense and Space Manufacturing", "Armed Forces"),
    "Legal": ("Law Practice", "Legal Services"),
    "Law": ("Law Practice", "Legal Services"),
    "Media": ("Media Production", "Broadcast Media Production and Distribution"),
    "Online Media": ("Online Audio and Video Media",),
    "Broadcast Media": ("Broadcast Media Production and Distribution",),
    "Publishing": ("Book and Periodical Publishing",),
    "Entertainment": ("Entertainment Providers",),
    "Gaming": ("Computer Games", "Mobile Gaming Apps"),
    "Video Games": ("Computer Games",),
    "Games": ("Computer Games", "Mobile Gaming Apps"),
    "HR": ("Human Resources Services",),
    "Human Resources": ("Human Resources Services",),
    "Recruiting": ("Staffing and Recruiting",),
    "Recruitment": ("Staffing and Recruiting",),
    "Staffing": ("Staffing and Recruiting",),
    "Energy": ("Utilities", "Oil and Gas", "Renewable Energy Power Generation"),
    "Oil & Energy": ("Oil and Gas",),
    "Renewables": ("Renewable Energy Power Generation",),
    "Renewables & Environment": ("Renewable Energy Power Generation",),
    "Cleantech": ("Renewable Energy Power Generation", "Climate Technology Product Manufacturing"),
    "Mining & Metals": ("Mining",),
    "Chemicals": ("Chemical Manufacturing",),
    "Machinery": ("Industrial Machinery Manufacturing",),
    "Mechanical or Industrial Engineering": ("Industrial Machinery Manufacturing",),
    "Electrical/Electronic Manufacturing": (
        "Appliances, Electrical, and Electronics Manufacturing",
    ),
    "Semiconductors": ("Semiconductor Manufacturing",),
    "Computer Hardware": ("Computer Hardware Manufacturing",),
    "Computer Networking": ("Computer Networking Products",),
    "Textiles": ("Textile Manufacturing",),
    "Furniture": ("Furniture and Home Furnishings Manufacturing",),
    "Cosmetics": ("Personal Care Product Manufacturing",),
    "Food": ("Food and Beverage Services", "Food and Beverage Manufacturing"),
    "Food & Beverages": ("Food and Beverage Services", "Food and Beverage Manufacturing"),
    "Travel": ("Travel Arrangements",),
    "Leisure, Travel & Tourism": ("Travel Arrangements",),
    "Tourism": ("Travel Arrangements",),
    "Sports": ("Spectator Sports",),
    "Fitness": ("Wellness and Fitness Services",),
    "Health, Wellness and Fitness": ("Wellness and Fitness Services",),
    "Design": ("Design Services",),
    "Research": ("Research Services",),
    "Veterinary": ("Veterinary Services",),
    "Import and Export": ("Wholesale Import and Export",),
    "Commercial Real Estate": ("Leasing Non-residential Real Estate", "Real Estate"),
}

# Company-type aliases that map to exactly one API value (rewritten, with a note).
COMPANY_TYPE_ALIASES: dict[str, str] = {
    "Public": "Public Company",
    "Publicly Traded": "Public Company",
    "Public Limited Company": "Public Company",
    "Private": "Privately Held",
    "Private Company": "Privately Held",
    "Privately Owned": "Privately Held",
    "Not for profit": "Non Profit",
    "Non-profit Organization": "Non Profit",
    "Nonprofit Organization": "Non Profit",
    "Government": "Government Agency",
    "Govt": "Government Agency",
    "Education": "Educational",
    "Educational Institution": "Educational",
}

# Seniority labels (Sales Navigator's and everyday ones) → documented request codes.
# 'Owner / Partner' is one Sales Navigator bucket covering two codes, so it becomes both.
SENIORITY_ALIASES: dict[str, tuple[str, ...]] = {
    "CXO": ("c_suite",),
    "C-level": ("c_suite",),
    "C-level Executive": ("c_suite",),
    "Chief": ("c_suite",),
    "Executive": ("c_suite",),
    "Executives": ("c_suite",),
    "Exec": ("c_suite",),
    "C-Suite Executive": ("c_suite",),
    "CEO": ("c_suite",),
    "VP-level": ("vp",),
    "VPs": ("vp",),
    "Mid-Senior": ("senior",),
    "Mid-Senior level": ("senior",),
    "Senior level": ("senior",),
    "Associate": ("entry",),
    "Vice President": ("vp",),
    "SVP": ("vp",),
    "EVP": ("vp",),
    "Senior Vice President": ("vp",),
    "Executive Vice President": ("vp",),
    "Owner / Partner": ("owner", "partner"),
    "Owners": ("owner",),
    "Partners": ("partner",),
    "Entry Level": ("entry",),
    "Junior": ("entry",),
    "In Training": ("intern",),
    "Trainee": ("intern",),
    "Internship": ("intern",),
    "Interns": ("intern",),
    "Directors": ("director",),
    "Head of": ("head",),
    "Managers": ("manager",),
    "Entry Level Manager": ("manager",),
    "Experienced Manager": ("manager",),
    "Co-founder": ("founder",),
    "Cofounder": ("founder",),
    "Founders": ("founder",),
}

# Sales Navigator seniority labels with no documented code: sent as typed, with a warning.
SENIORITY_NO_CODE: frozenset[str] = frozenset({"strategic"})  # casefolded

# Suggestions only (unknown functions are sent anyway with a warning).
FUNCTION_HINTS: dict[str, tuple[str, ...]] = {
    "HR": ("Human Resources",),
    "IT": ("Information Technology",),
    "Tech": ("Information Technology", "Engineering"),
    "BD": ("Business Development",),
    "BizDev": ("Business Development",),
    "Product": ("Product Management",),
    "PM": ("Product Management", "Program and Project Management"),
    "Project Management": ("Program and Project Management",),
    "QA": ("Quality Assurance",),
    "Procurement": ("Purchasing",),
    "Support": ("Customer Success and Support",),
    "Customer Service": ("Customer Success and Support",),
    "Design": ("Arts and Design",),
    "PR": ("Media and Communication",),
    "Communications": ("Media and Communication",),
    "Admin": ("Administrative",),
    "Ops": ("Operations",),
    "R&D": ("Research", "Engineering"),
    "Medical": ("Healthcare Services",),
    "Military": ("Military and Protective Services",),
}

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip

# The docs name this one replacement for their own failed example ('San Francisco, CA').
CITY_ALTERNATIVES: dict[str, str] = {"san francisco": "San Francisco Bay Area"}

# Country abbreviations the location lists do not use.
COUNTRY_ABBREVIATIONS: dict[str, str] = {
    "US": "United States", "USA": "United States", "U.S.": "United States",
    "U.S.A.": "United States", "UK": "United Kingdom", "U.K.": "United Kingdom",
    "UAE": "United Arab Emirates",
}  # fmt: skip

# Month words Excel writes into CSV dates ('10-Jan', 'Oct-01', 'November 1950').
MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
