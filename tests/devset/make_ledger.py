"""Writes tests/devset/claims.csv from the hand-curated rows below (kept as code so each row is reviewable)."""
import csv
from pathlib import Path

NOEU = "the data hold no EU-27 magnet exports for {}"
NO26 = "the data hold no {} for 2026 yet"
ROWS = [
 # --- SCMP via China Strategy, 21 July 2025
 ("scmp_2025_07_21_eu_share", "magnets_june", "China exported 3,188 tonnes of rare earth permanent magnets", "3188", "3,188 tonnes", "t", "exact", 'exports("magnets", "2025-06")', ""),
 ("scmp_2025_07_21_eu_share", "growth_mom", "a 157.5 per cent increase from May", "157.5", "157.5 per cent", "%", "exact", 'pct_change(exports("magnets", "2025-05"), exports("magnets", "2025-06"))', ""),
 ("scmp_2025_07_21_eu_share", "drop_yoy", "a 38.2 per cent drop year on year", "38.2", "38.2 per cent", "%", "exact", 'pct_below(exports("magnets", "2025-06"), exports("magnets", "2024-06", derived=True))', ""),
 ("scmp_2025_07_21_eu_share", "eu_tonnes", "some 1,364 tonnes of magnets were shipped to the EU", "1364", "1,364 tonnes", "t", "about", "", NOEU.format("June 2025")),
 ("scmp_2025_07_21_eu_share", "eu_share_june", "accounting for 43 per cent of June exports", "43", "43 per cent", "%", "exact", "", NOEU.format("June 2025")),
 ("scmp_2025_07_21_eu_share", "eu_share_may", "up from 32 per cent in May", "32", "32 per cent", "%", "exact", "", NOEU.format("May 2025")),
 ("scmp_2025_07_21_eu_share", "us_share_june", "the proportion for the United States stood at 11 per cent in June", "11", "11 per cent", "%", "exact", 'share(exports("magnets", "2025-06", partner="United States"), exports("magnets", "2025-06"))', ""),
 ("scmp_2025_07_21_eu_share", "us_share_may", "4 per cent in May", "4", "4 per cent", "%", "exact", 'share(exports("magnets", "2025-05", partner="United States"), exports("magnets", "2025-05"))', ""),
 ("scmp_2025_07_21_eu_share", "us_june", "The US bought 353 tonnes of the magnets in June", "353", "353 tonnes", "t", "exact", 'exports("magnets", "2025-06", partner="United States")', ""),
 ("scmp_2025_07_21_eu_share", "us_surge", "a 660 per cent surge over the figure for May", "660", "660 per cent", "%", "exact", 'pct_change(exports("magnets", "2025-05", partner="United States"), exports("magnets", "2025-06", partner="United States"))', ""),
 ("scmp_2025_07_21_eu_share", "us_yoy", "still down 52 per cent from the year before", "52", "52 per cent", "%", "exact", 'pct_below(exports("magnets", "2025-06", partner="United States"), exports("magnets", "2024-06", partner="United States", derived=True))', ""),
 ("scmp_2025_07_21_eu_share", "seven_elements", "export controls on seven rare earth elements", "7", "seven", "count", "exact", "", "the events table records the licensing requirement but not which elements it covers"),
 ("scmp_2025_07_21_eu_share", "controls_april", "in retaliation for US tariff hikes in April", "202504", "April", "month", "exact", 'event("export_licensing_2025_04_04")', ""),
 ("scmp_2025_07_21_eu_share", "monthly_drops", "each dropping by around 50 per cent month to month", "50", "around 50 per cent", "%", "around", "", "the data hold no March 2025 magnet exports, so April's fall cannot be computed (May's alone is 52.9%)"),
 # --- UNN (Reuters), 20 July 2025
 ("unn_2025_07_20_us_surge", "us_june", "rose to 353 metric tons in June", "353", "353 metric tons", "t", "exact", 'exports("magnets", "2025-06", partner="United States")', ""),
 ("unn_2025_07_20_us_surge", "us_surge", "up 660% from May", "660", "660%", "%", "exact", 'pct_change(exports("magnets", "2025-05", partner="United States"), exports("magnets", "2025-06", partner="United States"))', ""),
 ("unn_2025_07_20_us_surge", "world_supply_share", "more than 90% of the world's supply of rare earth magnets", "90", "more than 90%", "%", "more_than", "", "the curated data hold no world magnet production by country"),
 ("unn_2025_07_20_us_surge", "early_april", "decided in early April to add several rare earth products", "202504", "early April", "month", "early", 'event("export_licensing_2025_04_04")', ""),
 ("unn_2025_07_20_us_surge", "magnets_june", "China exported 3,188 tons of permanent rare earth magnets", "3188", "3,188 tons", "t", "exact", 'exports("magnets", "2025-06")', ""),
 ("unn_2025_07_20_us_surge", "growth_mom", "up 157.5% from 1,238 tons in May", "157.5", "157.5%", "%", "exact", 'pct_change(exports("magnets", "2025-05"), exports("magnets", "2025-06"))', ""),
 ("unn_2025_07_20_us_surge", "magnets_may", "1,238 tons in May", "1238", "1,238 tons", "t", "exact", 'exports("magnets", "2025-05")', ""),
 ("unn_2025_07_20_us_surge", "lower_yoy", "38.1% lower than in the corresponding month of 2024", "38.1", "38.1%", "%", "exact", 'pct_below(exports("magnets", "2025-06"), exports("magnets", "2024-06", derived=True))', ""),
 ("unn_2025_07_20_us_surge", "h1_fall", "fell by 18.9% compared to the same period last year", "18.9", "18.9%", "%", "exact", 'pct_below(exports("magnets", "2025-01", "2025-06"), exports("magnets", "2024-01", "2024-06", derived=True))', ""),
 ("unn_2025_07_20_us_surge", "h1_tonnes", "to 22,319 tons", "22319", "22,319 tons", "t", "exact", 'exports("magnets", "2025-01", "2025-06")', ""),
 ("unn_2025_07_20_us_surge", "rare_earths_june", "Chinese rare earth exports in June 2025 reached 7,742.2 tons", "7742.2", "7,742.2 tons", "t", "exact", 'exports("rare_earths", "2025-06")', ""),
 ("unn_2025_07_20_us_surge", "rare_earths_yoy", "up 60.3% from June 2024", "60.3", "60.3%", "%", "exact", 'pct_change(exports("rare_earths", "2024-06"), exports("rare_earths", "2025-06"))', ""),
 ("unn_2025_07_20_us_surge", "value_mom", "up 30.8% compared to the previous month", "30.8", "30.8%", "%", "exact", "", "a change in export value (yuan); the curated data hold tonnages only"),
 # --- ZeroHedge (Statista), 16 July 2025
 ("zerohedge_2025_07_16_exports_june", "rare_earths_june", "China exported 7,742 metric tonnes of rare earths last month", "7742", "7,742 metric tonnes", "t", "exact", 'exports("rare_earths", "2025-06")', ""),
 ("zerohedge_2025_07_16_exports_june", "highest_since_2009", "marking the highest peak since 2009", "2009", "2009", "year", "exact", "", "a record claim; the curated data hold monthly 'rare earths' exports only for recent years"),
 ("zerohedge_2025_07_16_exports_june", "yoy", "a 60-percent increase from June 2024", "60", "60-percent", "%", "exact", 'pct_change(exports("rare_earths", "2024-06"), exports("rare_earths", "2025-06"))', ""),
 ("zerohedge_2025_07_16_exports_june", "mom", "a 32-percent increase from May 2025", "32", "32-percent", "%", "exact", 'pct_change(exports("rare_earths", "2025-05"), exports("rare_earths", "2025-06"))', ""),
 ("zerohedge_2025_07_16_exports_june", "h1_2025", "amounted to 32,569 tonnes", "32569", "32,569 tonnes", "t", "exact", 'exports("rare_earths", "2025-01", "2025-06", derived=True)', ""),
 ("zerohedge_2025_07_16_exports_june", "h1_2024", "up from 29,095 tonnes in H1 2024", "29095", "29,095 tonnes", "t", "exact", 'exports("rare_earths", "2024-01", "2024-06")', ""),
 ("zerohedge_2025_07_16_exports_june", "h1_growth", "(+11.9 percent)", "11.9", "+11.9 percent", "%", "exact", 'pct_change(exports("rare_earths", "2024-01", "2024-06"), exports("rare_earths", "2025-01", "2025-06", derived=True))', ""),
 ("zerohedge_2025_07_16_exports_june", "controls_april", "In April, Beijing implemented export restrictions", "202504", "April", "month", "exact", 'event("export_licensing_2025_04_04")', ""),
 ("zerohedge_2025_07_16_exports_june", "seven_elements", "export restrictions on seven rare earth elements", "7", "seven", "count", "exact", "", "the events table records the licensing requirement but not which elements it covers"),
 ("zerohedge_2025_07_16_exports_june", "agreements_june", "in June, Beijing and Washington reached a new set of agreements", "202506", "June", "month", "exact", 'event("licence_backlog_agreements_2025_06")', ""),
 # --- Energy News (Reuters), 14 January 2026
 ("energynews_2026_01_14_exports_2025", "highest_since_2014", "their highest level in at least 2014", "2014", "2014", "year", "exact", "", "a record claim; the curated data hold annual 'rare earths' exports only for some years"),
 ("energynews_2026_01_14_exports_2025", "controls_april", "shipments of various medium to heavy elements starting April", "202504", "April", "month", "exact", 'event("export_licensing_2025_04_04")', ""),
 ("energynews_2026_01_14_exports_2025", "total_2025", "a total of 62.585 metric tons", "62.585", "62.585 metric tons", "t", "exact", 'exports("rare_earths", "2025-01", "2025-12")', ""),
 ("energynews_2026_01_14_exports_2025", "seventeen", "this group of 17 components", "17", "17 components", "count", "exact", "", "a definition (the 15 lanthanides plus scandium and yttrium), not a figure the curated tables hold"),
 ("energynews_2026_01_14_exports_2025", "growth_2025", "an increase of 12.9% annually", "12.9", "12.9%", "%", "exact", 'pct_change(exports("rare_earths", "2024-01", "2024-12"), exports("rare_earths", "2025-01", "2025-12"))', ""),
 ("energynews_2026_01_14_exports_2025", "seven_elements", "magnets and seven heavy and medium rare earth elements", "7", "seven", "count", "exact", "", "the events table records the licensing requirement but not which elements it covers"),
 ("energynews_2026_01_14_exports_2025", "december_mom", "fell by 20% compared to the previous month", "20", "20%", "%", "exact", 'pct_below(exports("rare_earths", "2025-12"), exports("rare_earths", "2025-11", derived=True))', ""),
 ("energynews_2026_01_14_exports_2025", "december", "falling to 4,392 tonnes", "4392", "4,392 tonnes", "t", "exact", 'exports("rare_earths", "2025-12")', ""),
 ("energynews_2026_01_14_exports_2025", "december_yoy", "the December volume was 32% higher", "32", "32%", "%", "exact", 'pct_change(exports("rare_earths", "2024-12"), exports("rare_earths", "2025-12"))', ""),
 ("energynews_2026_01_14_exports_2025", "december_2024", "the 3,326 tonnes in 2024", "3326", "3,326 tonnes", "t", "exact", 'exports("rare_earths", "2024-12")', ""),
 ("energynews_2026_01_14_exports_2025", "november_mom", "Exports in November increased by 26.5% compared to October", "26.5", "26.5%", "%", "exact", 'pct_change(exports("rare_earths", "2025-10"), exports("rare_earths", "2025-11", derived=True))', ""),
 # --- The West Australian (Bloomberg), 21 December 2025
 ("thewest_2025_12_21_us_november", "us_mom", "fell 11 per cent in November from a month earlier", "11", "11 per cent", "%", "exact", 'pct_below(exports("magnets", "2025-11", partner="United States"), exports("magnets", "2025-10", partner="United States"))', ""),
 ("thewest_2025_12_21_us_november", "us_november", "Shipments to the US totalled about 582 tonnes", "582", "about 582 tonnes", "t", "about", 'exports("magnets", "2025-11", partner="United States")', ""),
 ("thewest_2025_12_21_us_november", "us_october", "compared with 656 tonnes in October", "656", "656 tonnes", "t", "exact", 'exports("magnets", "2025-10", partner="United States")', ""),
 ("thewest_2025_12_21_us_november", "controls_april", "In April, Beijing implemented a new regime of export controls", "202504", "April", "month", "exact", 'event("export_licensing_2025_04_04")', ""),
 ("thewest_2025_12_21_us_november", "us_may", "less than 50 tonnes the following month", "50", "less than 50 tonnes", "t", "less_than", 'exports("magnets", "2025-05", partner="United States")', ""),
 # --- News.Az (Bloomberg), 18 December 2025
 ("newsaz_2025_12_18_products_november", "products_mom", "China exported 13% more rare-earth products in November", "13", "13%", "%", "exact", "", "the data hold no Bloomberg 'rare earth products' figure for October 2025"),
 ("newsaz_2025_12_18_products_november", "products_november", "6,958 tons of rare-earth products", "6958", "6,958 tons", "t", "exact", 'exports("rare_earth_products", "2025-11")', ""),
 ("newsaz_2025_12_18_products_november", "third_highest", "the third-highest monthly total on record", "3", "third-highest", "count", "exact", "", "a ranking over every month on record; the data hold only some months of this series"),
 ("newsaz_2025_12_18_products_november", "controls_april", "initially introduced in April", "202504", "April", "month", "exact", 'event("export_licensing_2025_04_04")', ""),
 ("newsaz_2025_12_18_products_november", "framework_october", "which was finalized in October", "202510", "October", "month", "exact", "", "the events table has no entry for the October 2025 US-China framework"),
 ("newsaz_2025_12_18_products_november", "products_august", "shipments reach a record 7,336 tons", "7336", "7,336 tons", "t", "exact", 'exports("rare_earth_products", "2025-08")', ""),
 ("newsaz_2025_12_18_products_november", "ytd_decline", "the year-to-date decline in exports to just 2%", "2", "2%", "%", "exact", "", "the data hold no year-to-date figures for Bloomberg's 'rare earth products'"),
 # --- Mining.com (Reuters), 20 April 2026
 ("miningcom_2026_04_20_magnets_march", "yoy", "slipped 1.6% from a year earlier", "1.6", "1.6%", "%", "exact", "", NO26.format("magnet exports")),
 ("miningcom_2026_04_20_magnets_march", "mom", "climbed 10.5% month-on-month", "10.5", "10.5%", "%", "exact", "", NO26.format("magnet exports")),
 ("miningcom_2026_04_20_magnets_march", "march", "were 5,238 metric tons last month", "5238", "5,238 metric tons", "t", "exact", "", NO26.format("magnet exports")),
 ("miningcom_2026_04_20_magnets_march", "top_five", "were China’s top five rare earth magnet export destinations", "5", "five", "count", "exact", "", "a ranking of partners; the data hold only some partners' volumes"),
 ("miningcom_2026_04_20_magnets_march", "fifth_month", "fell for a fifth consecutive month", "5", "fifth", "count", "exact", "", "a run of monthly falls; the recipe language has no ranking"),
 ("miningcom_2026_04_20_magnets_march", "us_mom", "down 9.5% from February", "9.5", "9.5%", "%", "exact", "", NO26.format("magnet exports to the United States")),
 ("miningcom_2026_04_20_magnets_march", "nine_month_low", "a nine-month low of 406 tons", "9", "nine-month", "months", "exact", "", "a ranking over months; the recipe language has no ranking"),
 ("miningcom_2026_04_20_magnets_march", "us_march", "a nine-month low of 406 tons", "406", "406 tons", "t", "exact", "", NO26.format("magnet exports to the United States")),
 ("miningcom_2026_04_20_magnets_march", "us_yoy", "were 30.6% lower than a year earlier", "30.6", "30.6%", "%", "exact", "", "the data hold no magnet exports to the United States for March 2025 or March 2026"),
 ("miningcom_2026_04_20_magnets_march", "q1_growth", "climbed 4.8% to 16,001 tons year-on-year", "4.8", "4.8%", "%", "exact", "", NO26.format("magnet exports")),
 ("miningcom_2026_04_20_magnets_march", "q1", "climbed 4.8% to 16,001 tons year-on-year", "16001", "16,001 tons", "t", "exact", "", NO26.format("magnet exports")),
 # --- Reuters via squidsite02, 20 November 2025 (a source of the data)
 ("reuters_2025_11_20_magnets_october", "mom", "fell 5.2% from a month earlier", "5.2", "5.2%", "%", "exact", 'pct_below(exports("magnets", "2025-10"), exports("magnets", "2025-09"))', ""),
 ("reuters_2025_11_20_magnets_october", "second_month", "down for a second month", "2", "second", "count", "exact", "", "a run of monthly falls; the recipe language has no ranking"),
 ("reuters_2025_11_20_magnets_october", "nine_month_high", "surged to a nine-month high", "9", "nine-month", "months", "exact", "", "a ranking over months; the recipe language has no ranking"),
 ("reuters_2025_11_20_magnets_october", "october_9", "the rare earth export control measures it announced on October 9", "20251009", "October 9", "date", "exact", "", "the events table has no entry for the October 2025 export controls"),
 ("reuters_2025_11_20_magnets_october", "one_year", "announced on October 9 for one year", "1", "one year", "years", "exact", "", "the curated data hold no terms of the suspension"),
 ("reuters_2025_11_20_magnets_october", "late_october", "in late October to de-escalate their trade war", "202510", "late October", "month", "late", "", "the events table has no entry for the Busan summit"),
 ("reuters_2025_11_20_magnets_october", "october", "were 5,473 metric tons last month", "5473", "5,473 metric tons", "t", "exact", 'exports("magnets", "2025-10")', ""),
 ("reuters_2025_11_20_magnets_october", "september", "down from 5,774 tons in September", "5774", "5,774 tons", "t", "exact", 'exports("magnets", "2025-09")', ""),
 ("reuters_2025_11_20_magnets_october", "yoy", "was up 15.8%from 4,725 tons", "15.8", "15.8%", "%", "exact", 'pct_change(exports("magnets", "2024-10"), exports("magnets", "2025-10"))', ""),
 ("reuters_2025_11_20_magnets_october", "october_2024", "4,725 tons in the same month in 2024", "4725", "4,725 tons", "t", "exact", 'exports("magnets", "2024-10")', ""),
 ("reuters_2025_11_20_magnets_october", "us_mom", "jumped by 56.1% from the prior month", "56.1", "56.1%", "%", "exact", 'pct_change(exports("magnets", "2025-09", partner="United States"), exports("magnets", "2025-10", partner="United States"))', ""),
 ("reuters_2025_11_20_magnets_october", "us_october", "to 656 tons, the highest since January", "656", "656 tons", "t", "exact", 'exports("magnets", "2025-10", partner="United States")', ""),
 ("reuters_2025_11_20_magnets_october", "highest_since_january", "the highest since January", "202501", "January", "month", "exact", "", "a record claim; the data hold no magnet exports to the United States for January to April 2025"),
 ("reuters_2025_11_20_magnets_october", "top_five", "were the top five export destinations", "5", "five", "count", "exact", "", "a ranking of partners; the data hold only some partners' volumes"),
 ("reuters_2025_11_20_magnets_october", "ytd", "exports totaled 45,290 tons", "45290", "45,290 tons", "t", "exact", 'exports("magnets", "2025-01", "2025-10")', ""),
 ("reuters_2025_11_20_magnets_october", "ytd_decline", "an annual decline of 5.2%", "5.2", "5.2%", "%", "exact", 'pct_below(exports("magnets", "2025-01", "2025-10"), exports("magnets", "2024-01", "2024-10"))', ""),
 ("reuters_2025_11_20_magnets_october", "seven_month_high", "Exports hit a seven-month high in August", "7", "seven-month", "months", "exact", "", "a ranking over months; the recipe language has no ranking"),
 # --- Reuters via Goldsea, 19 January 2026 (a source of the data)
 ("goldsea_2026_01_19_magnets_december", "japan_mom", "in December fell 8% from November", "8", "8%", "%", "exact", 'pct_below(exports("magnets", "2025-12", partner="Japan"), exports("magnets", "2025-11", partner="Japan"))', ""),
 ("goldsea_2026_01_19_magnets_december", "ban_january", "a ban Beijing imposed in January", "202601", "January", "month", "exact", "", "the events table has no entry for the January 2026 ban on dual-use exports to Japan"),
 ("goldsea_2026_01_19_magnets_december", "japan_december", "totalled 280 metric tons last month", "280", "280 metric tons", "t", "exact", 'exports("magnets", "2025-12", partner="Japan")', ""),
 ("goldsea_2026_01_19_magnets_december", "japan_november", "the 2025 peak of 305 tons a month before", "305", "305 tons", "t", "exact", 'exports("magnets", "2025-11", partner="Japan")', ""),
 ("goldsea_2026_01_19_magnets_december", "japan_yoy", "the December volume to Japan was 31.4% higher", "31.4", "31.4%", "%", "exact", "", "the data hold no magnet exports to Japan for December 2024"),
 ("goldsea_2026_01_19_magnets_december", "two_months_after", "The ban came two months after", "2", "two months", "months", "exact", "", "the events table dates neither the ban nor the Prime Minister's remarks"),
 ("goldsea_2026_01_19_magnets_december", "us_mom", "fell 3% from a month earlier to 564 tons", "3", "3%", "%", "exact", 'pct_below(exports("magnets", "2025-12", partner="United States"), exports("magnets", "2025-11", partner="United States"))', ""),
 ("goldsea_2026_01_19_magnets_december", "us_december", "fell 3% from a month earlier to 564 tons", "564", "564 tons", "t", "exact", 'exports("magnets", "2025-12", partner="United States")', ""),
 ("goldsea_2026_01_19_magnets_december", "us_2025", "For all of 2025, 5,933 tons were shipped to the U.S.", "5933", "5,933 tons", "t", "exact", 'exports("magnets", "2025-01", "2025-12", partner="United States")', ""),
 ("goldsea_2026_01_19_magnets_december", "us_annual_fall", "an annual fall of 20.3%", "20.3", "20.3%", "%", "exact", 'pct_below(exports("magnets", "2025-01", "2025-12", partner="United States"), exports("magnets", "2024-01", "2024-12", partner="United States", derived=True))', ""),
 ("goldsea_2026_01_19_magnets_december", "world_mom", "fell 3.2% in December from a month earlier", "3.2", "3.2%", "%", "exact", 'pct_below(exports("magnets", "2025-12"), exports("magnets", "2025-11"))', ""),
 ("goldsea_2026_01_19_magnets_december", "world_december", "from a month earlier to 5,952 tons", "5952", "5,952 tons", "t", "exact", 'exports("magnets", "2025-12")', ""),
 ("goldsea_2026_01_19_magnets_december", "fourth_highest", "The amount was the fourth-highest in 2025", "4", "fourth-highest", "count", "exact", "", "a ranking over the months of 2025; the data lack February and March 2025 single months"),
 # --- Mining Technology, 25 August 2025
 ("miningtech_2025_08_25_quota_rules", "consultation_february", "a public consultation that commenced in February", "202502", "February", "month", "exact", 'event("imported_ore_proposal_2025_02")', ""),
 ("miningtech_2025_08_25_quota_rules", "seventeen", "a collection of 17 metals", "17", "17 metals", "count", "exact", "", "a definition (the 15 lanthanides plus scandium and yttrium), not a figure the curated tables hold"),
 ("miningtech_2025_08_25_quota_rules", "restriction_april", "its export restriction list in April", "202504", "April", "month", "exact", 'event("export_licensing_2025_04_04")', ""),
 ("miningtech_2025_08_25_quota_rules", "quotas_july", "In July, China discreetly issued its 2025 rare earth mining and smelting quotas", "202507", "July", "month", "exact", 'event("quota_2025_first_batch")', ""),
 # --- Reuters via Astro Awani, December 2025 (a source of the data)
 ("astroawani_2025_12_magnets_november", "november_brief", "rose to 6,150 tons in November", "6150", "6,150 tons", "t", "exact", 'exports("magnets", "2025-11")', ""),
 ("astroawani_2025_12_magnets_november", "highest_since_january", "the highest since January after earlier trade-war restrictions", "202501", "January", "month", "exact", "", "a record claim over the months since January 2025; the data lack February and March 2025 single months"),
 ("astroawani_2025_12_magnets_november", "second_highest", "rose to the second-highest level on record", "2", "second-highest", "count", "exact", "", "a ranking over every month on record; the data hold only some months"),
 ("astroawani_2025_12_magnets_november", "restricted_april", "weapons, cars and phones in April", "202504", "April", "month", "exact", 'event("export_licensing_2025_04_04")', ""),
 ("astroawani_2025_12_magnets_november", "us_november", "totalled 582 metric tons in November", "582", "582 metric tons", "t", "exact", 'exports("magnets", "2025-11", partner="United States")', ""),
 ("astroawani_2025_12_magnets_november", "us_mom", "down 11% from the month before", "11", "11%", "%", "exact", 'pct_below(exports("magnets", "2025-11", partner="United States"), exports("magnets", "2025-10", partner="United States"))', ""),
 ("astroawani_2025_12_magnets_november", "japan_mom", "grew 35% to 305 metric tons", "35", "35%", "%", "exact", "", "the data hold no magnet exports to Japan for October 2025"),
 ("astroawani_2025_12_magnets_november", "japan_november", "grew 35% to 305 metric tons", "305", "305 metric tons", "t", "exact", 'exports("magnets", "2025-11", partner="Japan")', ""),
 ("astroawani_2025_12_magnets_november", "ytd_fall", "fell 2% on year to 51,440 tons", "2", "2%", "%", "exact", 'pct_below(exports("magnets", "2025-01", "2025-11"), exports("magnets", "2024-01", "2024-11", derived=True))', ""),
 ("astroawani_2025_12_magnets_november", "ytd", "fell 2% on year to 51,440 tons", "51440", "51,440 tons", "t", "exact", 'exports("magnets", "2025-01", "2025-11")', ""),
]

HEADER = ["claim_id", "source_id", "phrase", "stated", "stated_text", "unit", "qualifier", "recipe",
          "not_checkable_reason", "expected_status", "note"]

if __name__ == "__main__":
    here = Path(__file__).parent
    with open(here / "claims.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        for art, name, phrase, stated, stated_text, unit, qual, recipe, reason in ROWS:
            w.writerow([f"{art}__{name}", art, phrase, stated, stated_text, unit, qual, recipe, reason,
                        "" if recipe else "not_checkable", ""])
