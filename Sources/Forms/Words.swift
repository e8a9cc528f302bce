/// Forms speak through the catalogue: everything that uses Forms can word
/// its messages in the reader's language.
@_exported import Words
