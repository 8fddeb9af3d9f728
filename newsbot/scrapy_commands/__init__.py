"""newsbot's versions of Scrapy commands (COMMANDS_MODULE), found by `scrapy` in this project."""
