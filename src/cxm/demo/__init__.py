"""Demo data: Lumen & Co., a believable multi-channel retailer, generated and loaded.

Lumen & Co. sells home goods and apparel online (web shop and app) and in stores
in China, Germany, the UK and the US. ``generate`` writes, deterministically for a
seed (numpy ``SeedSequence`` streams, one per part):

==========================  =====================================================
customers_crm.csv           CRM (id ``crm_id``): Han names for Chinese customers,
                            ISO birth dates, international phones; the cleanest.
customers_shop.csv          web shop (id ``customer_no``, the web/app ``userId``):
                            pinyin or English names, swapped order, nicknames,
                            other e-mail spellings, abbreviated streets, postcodes
                            as spreadsheets mangle them; ~2% have a second account.
customers_loyalty.csv       loyalty desk (id ``card_number``): names typed at the
                            till, local date (31.12.1980, 12/31/1980, 1980年…) and
                            phone formats (030-…, 0151 …, 138…, (212) 555-…).
events_web.parquet          cxm.js page/track/identify: UTM and referrer mixes
                            (Baidu, WeChat, Weibo, Google Ads with only a gclid,
                            newsletters, affiliates…), anonymous browsers that
                            identify with the shop userId and an ``email`` trait,
                            Segment e-commerce events (Product Viewed/Added,
                            Products Searched, Checkout Started), Help Center Viewed.
events_app.parquet          the app: screen/track/identify from mobile libraries.
events_email.parquet        Email Opened / Email Clicked (userId = CRM id).
events_store.parquet        Store Visit (userId = loyalty card).
events_messaging.parquet    Message Received (anonymousId = WeChat OpenID or
                            ``wa:+E.164``), WeChat account-binding identifies.
events_social.parquet       Social Mention / Post Engaged (``platform:handle``).
orders_online.csv           web/app orders (customer = shop number, or e-mail for
                            guest checkout); items as a JSON list string.
orders_store.jsonl          till orders (customer = loyalty card), items as lists.
tickets.csv                 help-desk tickets with timings, contacts, reopened, CSAT.
reviews.jsonl               reviews (rated) and social mentions (unrated) in zh/de/en.
truth/persons.csv           ground truth, never imported: person -> CRM id, shop ids,
                            loyalty card, e-mail, WeChat OpenID; taste cluster,
                            churner flag and churn date.
truth/devices.csv           anonymous id -> person (web browsers and app installs).
truth/review_labels.csv     review -> person, true rating, sentiment, topics.
manifest.json               the config and how each file is imported.
==========================  =====================================================

Signals built in for later stages: taste clusters over categories (recommendations),
seasonality (Singles' Day, 618, Black Friday, Christmas), a churning fifth of
customers whose activity fades, with more help-centre visits, tickets, slower
service, lower CSAT and worse reviews beforehand; a few products with a hidden
quality problem. ``cxm.demo.load.load`` imports everything through
``cxm.collect.importers.import_file`` and then builds sessions.
"""
