// Doubly linked lists threaded through `next`/`prev` fields of the nodes
// themselves (segment descriptors, page infos): no allocation, O(1) removal.
#ifndef ALLOCLAB_MALLOC_INTRUSIVE_LIST_H_
#define ALLOCLAB_MALLOC_INTRUSIVE_LIST_H_

namespace alloclab::malloc {

// Pushes node at the front of the list whose first node is *head.
template <typename T>
void ListPush(T** head, T* node) {
  node->prev = nullptr;
  node->next = *head;
  if (*head != nullptr) (*head)->prev = node;
  *head = node;
}

// Removes node from the list whose first node is *head.
template <typename T>
void ListRemove(T** head, T* node) {
  if (node->prev != nullptr) {
    node->prev->next = node->next;
  } else {
    *head = node->next;
  }
  if (node->next != nullptr) node->next->prev = node->prev;
  node->next = node->prev = nullptr;
}

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_INTRUSIVE_LIST_H_
