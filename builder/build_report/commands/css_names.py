"""CSS properties WeasyPrint knows, so `check` can flag ignored CSS without importing it.

Kept in step with the installed WeasyPrint by tests/test_check.py (it compares this list with
WeasyPrint's own); regenerate it from weasyprint.css.validation when that test fails.
"""

KNOWN_PROPERTIES = frozenset(
    """
    align-content align-items align-self anchor appearance background background-attachment
    background-clip background-color background-image background-origin background-position
    background-repeat background-size bleed bleed-bottom bleed-left bleed-right bleed-top
    block-ellipsis block-size bookmark-label bookmark-level bookmark-state border border-block
    border-block-color border-block-end border-block-end-color border-block-end-style
    border-block-end-width border-block-start border-block-start-color border-block-start-style
    border-block-start-width border-block-style border-block-width border-bottom
    border-bottom-color border-bottom-left-radius border-bottom-right-radius
    border-bottom-style border-bottom-width border-collapse border-color border-end-end-radius
    border-end-start-radius border-image border-image-outset border-image-repeat
    border-image-slice border-image-source border-image-width border-inline border-inline-color
    border-inline-end border-inline-end-color border-inline-end-style border-inline-end-width
    border-inline-start border-inline-start-color border-inline-start-style
    border-inline-start-width border-inline-style border-inline-width border-left
    border-left-color border-left-style border-left-width border-radius border-right
    border-right-color border-right-style border-right-width border-spacing
    border-start-end-radius border-start-start-radius border-style border-top border-top-color
    border-top-left-radius border-top-right-radius border-top-style border-top-width
    border-width bottom box-decoration-break box-shadow box-sizing break-after break-before
    break-inside caption-side clear clip color color-scheme column-count column-fill column-gap
    column-rule column-rule-color column-rule-style column-rule-width column-span column-width
    columns content continue counter-increment counter-reset counter-set direction display
    empty-cells flex flex-basis flex-direction flex-flow flex-grow flex-shrink flex-wrap float
    font font-family font-feature-settings font-kerning font-language-override font-size
    font-stretch font-style font-variant font-variant-alternates font-variant-caps
    font-variant-east-asian font-variant-ligatures font-variant-numeric font-variant-position
    font-variation-settings font-weight footnote-display footnote-policy gap grid grid-area
    grid-auto-columns grid-auto-flow grid-auto-rows grid-column grid-column-end grid-column-gap
    grid-column-start grid-gap grid-row grid-row-end grid-row-gap grid-row-start grid-template
    grid-template-areas grid-template-columns grid-template-rows height hyphenate-character
    hyphenate-limit-chars hyphenate-limit-zone hyphens image-orientation image-rendering
    image-resolution inline-size inset inset-block inset-block-end inset-block-start
    inset-inline inset-inline-end inset-inline-start justify-content justify-items justify-self
    lang left letter-spacing line-clamp line-height list-style list-style-image
    list-style-position list-style-type margin margin-block margin-block-end margin-block-start
    margin-bottom margin-break margin-inline margin-inline-end margin-inline-start margin-left
    margin-right margin-top marks mask-border mask-border-mode mask-border-outset
    mask-border-repeat mask-border-slice mask-border-source mask-border-width max-block-size
    max-height max-inline-size max-lines max-width min-block-size min-height min-inline-size
    min-width object-fit object-position opacity order orphans outline outline-color
    outline-offset outline-style outline-width overflow overflow-wrap padding padding-block
    padding-block-end padding-block-start padding-bottom padding-inline padding-inline-end
    padding-inline-start padding-left padding-right padding-top page page-break-after
    page-break-before page-break-inside place-content place-items place-self position quotes
    right row-gap size string-set tab-size table-layout text-align text-align-all
    text-align-last text-decoration text-decoration-color text-decoration-line
    text-decoration-style text-decoration-thickness text-indent text-overflow text-transform
    text-underline-offset top transform transform-origin vertical-align visibility white-space
    widows width word-break word-spacing word-wrap z-index
    """.split()
)
