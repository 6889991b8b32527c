/// An upper bound on the values a YAML text's aliases expand to, read from the text alone,
/// before Yams composes it.
///
/// Yams hashes every mapping's keys while it composes (to find duplicates), and a hash walks the
/// whole key: a billion-laughs collection used as a key (the fuzzer found `[*a8 breaks: …]`)
/// took four minutes to fail on a syntax error two lines later. `ExperimentLoader.checkBounds`
/// bounds the composed document exactly; this bound comes first and only needs to be cheap and
/// never below the truth.
///
/// It finds anchors (`&name`) and aliases (`*name`) where a token may start (outside comments
/// and quoted scalars), takes each anchored node's extent (a flow collection to its closing
/// bracket, a block node to the next line indented no deeper than the anchor's line, else a
/// scalar) and sizes it as 1 plus the sizes of the aliases inside it. The bound is the sum of the
/// sizes of every alias in the text.
enum AliasBound {
    /// Line and column (1-based) of the first alias at which the bound passes `limit`, or nil.
    static func firstCrossing(in text: String, limit: Int) -> (line: Int, column: Int)? {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "*")) else { return nil }
        let tokens = scan(bytes)
        guard tokens.contains(where: { !$0.isAnchor }) else { return nil }
        var sizes: [Int: Int] = [:]   // anchor token index -> size
        var running = 0
        for (index, token) in tokens.enumerated() where !token.isAnchor {
            running = add(running, size(ofAliasAt: index, tokens: tokens, bytes: bytes, sizes: &sizes, limit: limit), limit: limit)
            if running > limit { return (token.line, token.column) }
        }
        return nil
    }

    struct Token {
        let isAnchor: Bool
        let name: ArraySlice<UInt8>
        /// Byte offset of the `&` or `*`, and just after the name.
        let start: Int
        let end: Int
        let line: Int
        let column: Int
        /// Indentation of the line the token is on.
        let indent: Int
    }

    private static func add(_ a: Int, _ b: Int, limit: Int) -> Int { min(a + b, limit + 1) }

    /// The size of the node the alias at `index` names: the latest anchor of that name before it.
    private static func size(ofAliasAt index: Int, tokens: [Token], bytes: [UInt8], sizes: inout [Int: Int], limit: Int) -> Int {
        guard let anchor = tokens[..<index].lastIndex(where: { $0.isAnchor && $0.name == tokens[index].name }) else { return 1 }
        return size(ofAnchor: anchor, tokens: tokens, bytes: bytes, sizes: &sizes, limit: limit)
    }

    private static func size(ofAnchor anchor: Int, tokens: [Token], bytes: [UInt8], sizes: inout [Int: Int], limit: Int) -> Int {
        if let known = sizes[anchor] { return known }
        sizes[anchor] = 1   // an alias of the node inside itself counts once
        let end = extentEnd(of: tokens[anchor], bytes: bytes)
        var size = 1
        for inner in (anchor + 1)..<tokens.count where tokens[inner].start < end {
            guard !tokens[inner].isAnchor else { continue }
            size = add(size, self.size(ofAliasAt: inner, tokens: tokens, bytes: bytes, sizes: &sizes, limit: limit), limit: limit)
            if size > limit { break }
        }
        sizes[anchor] = size
        return size
    }

    /// Where the anchored node ends (a byte offset).
    private static func extentEnd(of anchor: Token, bytes: [UInt8]) -> Int {
        var position = anchor.end
        func skipSpaces() { while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") { position += 1 } }
        skipSpaces()
        if position < bytes.count, bytes[position] == UInt8(ascii: "!") {   // a tag
            while position < bytes.count, !isSpace(bytes[position]) { position += 1 }
            skipSpaces()
        }
        guard position < bytes.count else { return position }
        let byte = bytes[position]
        if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { return matchingBracket(from: position, bytes: bytes) }
        guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "#") else { return position }
        // A block node: the lines after this one indented deeper (or "- " entries at the same indentation).
        var lineStart = position
        while lineStart < bytes.count, bytes[lineStart] != UInt8(ascii: "\n") { lineStart += 1 }
        lineStart += 1
        while lineStart < bytes.count {
            var column = lineStart
            while column < bytes.count, bytes[column] == UInt8(ascii: " ") { column += 1 }
            let indent = column - lineStart
            let first = column < bytes.count ? bytes[column] : UInt8(ascii: "\n")
            let blank = first == UInt8(ascii: "\n") || first == UInt8(ascii: "\r") || first == UInt8(ascii: "#")
            if !blank && (indent < anchor.indent || (indent == anchor.indent && first != UInt8(ascii: "-"))) { return lineStart }
            while lineStart < bytes.count, bytes[lineStart] != UInt8(ascii: "\n") { lineStart += 1 }
            lineStart += 1
        }
        return bytes.count
    }

    private static func matchingBracket(from start: Int, bytes: [UInt8]) -> Int {
        var depth = 0
        var position = start
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return position + 1 }
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                position = endOfQuoted(from: position, bytes: bytes) - 1
            default: break
            }
            position += 1
        }
        return bytes.count
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// Just after the quoted scalar starting at `start` ('' and \" escapes).
    private static func endOfQuoted(from start: Int, bytes: [UInt8]) -> Int {
        let quote = bytes[start]
        var position = start + 1
        while position < bytes.count {
            if quote == UInt8(ascii: "\""), bytes[position] == UInt8(ascii: "\\") { position += 2; continue }
            if bytes[position] == quote {
                if quote == UInt8(ascii: "'"), position + 1 < bytes.count, bytes[position + 1] == quote { position += 2; continue }
                return position + 1
            }
            position += 1
        }
        return bytes.count
    }

    /// Anchors and aliases where a token may start, outside comments and quoted scalars.
    static func scan(_ bytes: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var position = 0, line = 1, lineStart = 0, indent = 0, atIndent = true
        var previous: UInt8 = UInt8(ascii: "\n")          // the byte before `position`
        var previousSolid: UInt8 = UInt8(ascii: "\n")     // the last non-space byte on this line
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = position + 1
                indent = 0
                atIndent = true
                previous = byte
                previousSolid = byte
                position += 1
                continue
            }
            if atIndent {
                if byte == UInt8(ascii: " ") { indent += 1 } else { atIndent = false }
            }
            let tokenStart = isSpace(previous) || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                || previous == UInt8(ascii: ",")
            if byte == UInt8(ascii: "#"), isSpace(previous) {
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
                continue
            }
            let afterIndicator = [UInt8(ascii: "\n"), UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "["), UInt8(ascii: "{"),
                                  UInt8(ascii: ","), UInt8(ascii: "?")].contains(previousSolid)
                || (previousSolid != UInt8(ascii: "\n") && tokens.last.map { $0.end == position - 1 || $0.end == position } == true)
            if (byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"")), tokenStart, afterIndicator {
                let end = endOfQuoted(from: position, bytes: bytes)
                for inside in position..<end where bytes[inside] == UInt8(ascii: "\n") { line += 1; lineStart = inside + 1 }
                position = end
                previous = bytes[end - 1]
                previousSolid = previous
                continue
            }
            if (byte == UInt8(ascii: "&") || byte == UInt8(ascii: "*")), tokenStart {
                var end = position + 1
                while end < bytes.count, !isSpace(bytes[end]),
                      ![UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}")].contains(bytes[end]) {
                    end += 1
                }
                if end > position + 1 {
                    tokens.append(Token(isAnchor: byte == UInt8(ascii: "&"), name: bytes[(position + 1)..<end], start: position, end: end,
                                        line: line, column: position - lineStart + 1, indent: indent))
                    previous = bytes[end - 1]
                    previousSolid = previous
                    position = end
                    continue
                }
            }
            if !isSpace(byte) { previousSolid = byte }
            previous = byte
            position += 1
        }
        return tokens
    }
}
