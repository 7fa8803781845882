"""crawler/pages"""
