#include "search/pieces.h"

#include <gtest/gtest.h>

namespace trawl {
namespace {

ChunkSpan Span(const char* symbol, const char* context) {
  ChunkSpan c;
  c.symbol = symbol;
  c.context = context;
  return c;
}

TEST(PiecesTest, FurtherPiecesHaveTheirDefinitionInTheirContext) {
  // A long Python function: its first piece holds the header, the others name it.
  EXPECT_FALSE(IsFurtherPiece(Span("lambdify", "sympy/utilities/lambdify.py")));
  EXPECT_TRUE(IsFurtherPiece(Span("lambdify", "sympy/utilities/lambdify.py > def lambdify(args, expr, modules=None,")));
  // A method of a class, split.
  EXPECT_FALSE(IsFurtherPiece(Span("Printer.doprint", "p.py > class Printer:")));
  EXPECT_TRUE(IsFurtherPiece(Span("Printer.doprint", "p.py > class Printer: > def doprint(self, expr):")));
  EXPECT_TRUE(IsFurtherPiece(Span("ns::Parser::parse", "a.cc > namespace ns > class Parser > Node* parse(Lexer& in)")));
}

TEST(PiecesTest, WholeDefinitionsAreNotPieces) {
  // A Java constructor is named as its class, which ends its context.
  EXPECT_FALSE(IsFurtherPiece(Span("BufferedInputStream.BufferedInputStream",
                                   "java/io/BufferedInputStream.java > public class BufferedInputStream")));
  // Overloads: each a whole method under its class.
  EXPECT_FALSE(IsFurtherPiece(Span("File.File", "java/io/File.java > public class File")));
  // A name inside a longer one is not the name.
  EXPECT_FALSE(IsFurtherPiece(Span("parse", "a.py > def parse_all(x):")));
  EXPECT_FALSE(IsFurtherPiece(Span("", "a.py > def f():")));
  EXPECT_FALSE(IsFurtherPiece(Span("f", "")));
  EXPECT_FALSE(IsFurtherPiece(Span("A.", "a.py > class A:")));
}

}  // namespace
}  // namespace trawl
