# The consumer's own find module for utf8proc: the installed tinybert package must neither shadow it nor change the
# consumer's CMAKE_MODULE_PATH (the consumer project checks that this file ran).
set(CONSUMER_OWN_FINDUTF8PROC_RAN TRUE)
set(utf8proc_FOUND TRUE)
